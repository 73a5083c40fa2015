"""docker-compose.yml as `docker-compose config` resolves it: validated, variables substituted, anchors merged.

Debian's `docker-compose` package (1.29.2 on bookworm, Compose v1; scripts/system-deps.sh installs it) validates
the file without a Docker engine. Its output is read in a clean environment with an empty env file, so that a
developer's shell or .env cannot change what the tests see: only the defaults, or the `overrides` given.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"


def compose_config(overrides: dict[str, str] | None = None) -> dict[str, Any]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail(
            "docker-compose not found: run scripts/system-deps.sh as root (Debian's docker-compose package)",
            pytrace=False,
        )
    with tempfile.TemporaryDirectory() as folder:
        env_file = Path(folder) / "empty.env"
        env_file.touch()
        done = subprocess.run(
            [binary, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), "config"],
            env={"PATH": os.environ["PATH"], **(overrides or {})},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, f"docker-compose config rejected {COMPOSE_FILE.name}:\n{done.stderr}"
    return yaml.safe_load(done.stdout)
