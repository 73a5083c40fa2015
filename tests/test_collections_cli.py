"""`collections`, the installed command line: every command under one name, completion, usage errors; and the three
scripts the design names remain the same commands."""

import os
import subprocess
import sys
from pathlib import Path

from edge.operations import OPERATIONS

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def collections(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "collections"), *args], capture_output=True, text=True, timeout=60,
                          env=os.environ | (env or {}), cwd=cwd)  # fmt: skip


def test_every_command_is_under_one_name(tmp_path: Path) -> None:
    answer = collections("--help", cwd=tmp_path)  # installed: works from any folder
    assert answer.returncode == 0, answer.stderr
    for name in ("ingest", "status", "list", "aging", "pay", "legal", "worker", *OPERATIONS):
        assert f"\n  {name} " in answer.stdout, name
    legal = collections("legal", "--help", cwd=tmp_path)
    assert all(f"\n  {name} " in legal.stdout for name in ("list", "show", "accept", "outcome", "export"))
    staff = collections("staff", "--help", cwd=tmp_path)
    assert all(f"\n  {name} " in staff.stdout for name in ("add", "list", "key", "revoke", "deactivate"))
    assert "--by" not in collections("promise", "--help").stdout  # who gives a command is the key's holder


def test_shell_completion_completes_commands_and_options() -> None:
    env = {"_COLLECTIONS_COMPLETE": "bash_complete", "COMP_WORDS": "collections le", "COMP_CWORD": "1"}
    assert collections(env=env).stdout.split() == ["plain,legal", "plain,legal-outcome", "plain,letter-delivery"]
    env |= {"COMP_WORDS": "collections resolve-dispute --up", "COMP_CWORD": "2"}
    assert collections(env=env).stdout.split() == ["plain,--upheld"]
    assert "complete -o nosort -F" in collections(env={"_COLLECTIONS_COMPLETE": "bash_source"}).stdout


def test_a_usage_error_exits_2_with_the_reason() -> None:
    answer = collections("resolve-dispute", "ACC-1", "d-1")
    assert answer.returncode == 2 and "one of --upheld, --rejected is required" in answer.stderr
    answer = collections("nonsense")
    assert answer.returncode == 2 and "No such command 'nonsense'" in answer.stderr


def test_the_legal_inbox_through_collections_and_legal_py_alike(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}
    assert collections("legal", "list", env=env).returncode == 0
    shim = subprocess.run([sys.executable, "legal.py", "show", "CASE-X"], capture_output=True, text=True, timeout=60,
                          cwd=ROOT, env=os.environ | env)  # fmt: skip
    mine = collections("legal", "show", "CASE-X", env=env)
    assert (shim.returncode, shim.stderr) == (mine.returncode, mine.stderr) == (1, "no legal case CASE-X\n")
