"""The README's run command (`worker.py --dev-server`, what `make run` starts): the real dev server with a
SQLite file, our search attributes, the worker; an event goes through; Ctrl-C stops everything it started."""

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from settings import ROOT
from tests.factories import overdue_line

pytestmark = pytest.mark.integration


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_run_command_serves_ingest_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    env = os.environ | {
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
        "TEMPORAL_UI_PORT": str(free_port()),
        "COLLECTIONS_API_PORT": str(api_port := free_port()),
        "COLLECTIONS_VAR_DIR": str(tmp_path / "var"),
    }
    log = tmp_path / "run.log"
    with log.open("w") as out:
        run = subprocess.Popen(
            [sys.executable, "worker.py", "--dev-server"], cwd=ROOT, env=env, stdout=out, stderr=out,
            start_new_session=True,  # a terminal of its own: Ctrl-C goes to its whole process group
        )  # fmt: skip
    try:
        wait_for(lambda: "worker polling" in log.read_text(), 60, "the worker to start")
        events = tmp_path / "one.jsonl"
        events.write_text(overdue_line(account_id="RUN-1") + "\n")
        ingest = subprocess.run(
            [sys.executable, "starter.py", "ingest", str(events)], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=60,
        )  # fmt: skip
        assert ingest.returncode == 0, ingest.stdout + ingest.stderr
        assert "RUN-1  started" in ingest.stdout
        outbox = tmp_path / "var" / "outbox" / "outbox.jsonl"
        wait_for(lambda: outbox.exists() and outbox.read_text().strip(), 30, "the first message")
        first = json.loads(outbox.read_text().splitlines()[0])
        assert first["account_id"] == "RUN-1"
        with contextlib.closing(sqlite3.connect(tmp_path / "var" / "temporal.db")) as server_db:
            assert server_db.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # not synced at every commit
        api = f"http://127.0.0.1:{api_port}"
        assert httpx.get(f"{api}/healthz").status_code == 200
        assert httpx.get(f"{api}/readyz").status_code == 200
        assert httpx.get(f"{api}/dashboard/login").status_code == 200
        assert f"http://localhost:{api_port}/docs" in log.read_text()

        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        assert run.wait(timeout=30) == 0, log.read_text()
        text = log.read_text()
        assert "worker stopped" in text and "API stopped" in text and "Temporal dev server stopped" in text
        assert "Traceback" not in text and "KeyboardInterrupt" not in text  # the PDF renderer ignores Ctrl-C
        leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "var")], capture_output=True, text=True)
        assert leftovers.stdout == "", "the dev server outlived Ctrl-C"
        # The store, the outbox, the letters and the dev server's own database hold debtors' data: owner-only.
        var = tmp_path / "var"
        assert {p.name for p in var.iterdir()} >= {"collections.db", "temporal.db", "outbox"}
        assert [(str(p), oct(p.stat().st_mode)) for p in (var, *var.rglob("*")) if p.stat().st_mode & 0o077] == []
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            # The dev server runs in a session of its own (so that Ctrl-C reaches only the worker): kill it too.
            subprocess.run(["pkill", "-KILL", "-f", str(tmp_path / "var")], check=False)
