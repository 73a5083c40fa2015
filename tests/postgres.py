"""A throwaway PostgreSQL server for tests, from the installed binaries (Debian: the `postgresql` package).

The server runs as the `postgres` system user when we are root (initdb refuses root), listens on a free
port on 127.0.0.1 only, trusts local connections, and is stopped and deleted afterwards.
"""

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

DEBIAN_ROOT = Path("/usr/lib/postgresql")
SERVER_USER = "postgres"
DATABASE = "collections"


class PostgresUnavailable(RuntimeError):
    """The server binaries are missing or the server would not start: the tests that need it must fail."""


def postgres_bin() -> Path:
    """The folder holding initdb and pg_ctl: Debian's newest /usr/lib/postgresql/<version>/bin, else PATH."""
    candidates = sorted(DEBIAN_ROOT.glob("*/bin/initdb"), key=lambda p: _version(p.parent.parent.name), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path))
    for initdb in candidates:
        if (initdb.parent / "pg_ctl").exists():
            return initdb.parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or on PATH: "
        "install them (Debian: apt-get install postgresql)"
    )


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server, create the `collections` database, yield its URL; stop and delete it all afterwards."""
    bin_dir = postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="pg-test-"))
    data, sockets, port = root / "data", root / "sockets", free_port()
    sockets.mkdir()
    as_root = os.geteuid() == 0
    if as_root:
        for path in (root, sockets):
            shutil.chown(path, SERVER_USER, SERVER_USER)

    def run(*args: str | Path, check: bool = True) -> None:
        prefix = ["runuser", "-u", SERVER_USER, "--"] if as_root else []
        done = subprocess.run([*prefix, *map(str, args)], cwd=root, capture_output=True, text=True, check=False)
        if check and done.returncode != 0:
            log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
            raise PostgresUnavailable(f"{Path(args[0]).name} failed:\n{done.stdout}{done.stderr}{log}")

    try:
        run(bin_dir / "initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-N")
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        try:
            run(bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", root / "server.log", "-w", "start")
            yield create_database(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", DATABASE)
        finally:
            # Also after a failed start: a server that came up too slowly for -w must not outlive the tests.
            run(bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop", check=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def create_database(server_url: str, name: str | None = None) -> str:
    """Create a database (a fresh random name by default) on the server of `server_url`; return its URL."""
    name = name or f"test_{uuid.uuid4().hex[:12]}"
    base, _, _ = server_url.rpartition("/")
    conninfo = base.replace("postgresql+psycopg://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{base}/{name}"


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())
