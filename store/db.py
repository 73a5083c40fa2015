"""How to open the database at a URL: SQLite or PostgreSQL. Which URL is not decided here: `settings.Settings`
(`DATABASE_URL`, else a SQLite file under the var folder) is the one place that knows, and callers pass its URL."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import QueuePool

from store.files import private_dir, private_file

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_MS = 30_000


def normalize_url(url: str) -> str:
    """Plain `postgres://` / `postgresql://` URLs mean psycopg 3, the only PostgreSQL driver we install."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """An engine for `url`; the folder of a SQLite file is created. SQLite gets what lets several workers write at
    once. Its errors never show a statement's parameters: they are debtors' data, and errors end up in logs."""
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, hide_parameters=True)
    _ensure_sqlite_folder(parsed)
    if parsed.database and parsed.database != ":memory:":
        private_file(Path(parsed.database))  # owner-only; SQLite gives its -wal and -shm files the same mode
    # One connection per process: SQLite has one writer at a time anyway (and every transaction here takes the
    # write lock), and threads queued on the pool get it the moment it is free, where threads queued on SQLite's
    # busy handler sleep in steps of up to 100 ms. Under a burst of activities that sleeping was most of their time.
    engine = create_engine(
        parsed,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000},
        poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=SQLITE_BUSY_MS / 1000, hide_parameters=True,
    )  # fmt: skip
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest revision (Alembic `upgrade head`), from any working directory.

    Safe to call from every worker at start-up: concurrent callers are serialised (an advisory lock on
    PostgreSQL, the write lock on SQLite), and the later ones find the database already at head.
    """
    engine = make_engine(url)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def alembic_config(url: str) -> Config:
    """Alembic's configuration built in code, so no alembic.ini or working directory is needed.

    Put an open connection in `config.attributes["connection"]` to have the migrations run on it.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ini interpolation
    return config


def _ensure_sqlite_folder(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        private_dir(Path(url.database).parent)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside a writer; the busy timeout makes writers queue instead of failing.

    The driver's own transaction handling is switched off so that `_sqlite_begin` decides how a transaction
    starts, and foreign keys are enforced as on PostgreSQL.
    """
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", f"busy_timeout={SQLITE_BUSY_MS}", "foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Take the write lock when the transaction starts, not half-way through it.

    A deferred transaction that reads and then writes can fail at once with SQLITE_BUSY when another
    writer got in between (the busy timeout does not help there); IMMEDIATE waits its turn instead, which
    also makes read-then-update methods (accept a case, mark a message) atomic.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")
