"""Alembic environment: `store.migrate()` hands in its connection; `alembic` by hand builds one from the URL.

The URL for the command line is `sqlalchemy.url` in alembic.ini when set, otherwise the store of
`settings.Settings` (`DATABASE_URL`, otherwise the SQLite file under the var folder). Either way the engine comes
from `store.db.make_engine`, with its SQLite pragmas.
"""

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, text
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from store.db import make_engine

MIGRATION_LOCK = 7_361_042  # any constant: the PostgreSQL advisory lock that serialises concurrent upgrades


def render_item(kind: str, obj: Any, _context: Any) -> str | Literal[False]:
    """Autogenerate spells our column types (Money, UTCDateTime, SQLModel's AutoString) as the plain SQLAlchemy
    types they stand on, so a revision never imports the models and stays valid when they change."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


def configured_url() -> str:
    """The project's store, as every process finds it (imported here: only `alembic` by hand needs it)."""
    from settings import ConfigError, Settings

    try:
        return Settings.from_env().database_url
    except ConfigError as error:
        raise SystemExit(str(error)) from None


def run_online() -> None:
    given = context.config.attributes.get("connection")
    if given is not None:
        run(given)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or configured_url())
    try:
        with engine.connect() as connection:
            run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported: the migrations hold dialect-specific trigger SQL")
run_online()
