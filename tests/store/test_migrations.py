"""The migrations build exactly the models' schema, from any directory, by code or by the alembic command."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

from store import alembic_config, make_engine, migrate

REPO = Path(__file__).resolve().parents[2]


def schema(url: str) -> tuple[set[str], list[object], str | None]:
    """The tables (without Alembic's own), the differences from the models, and the revision."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
            return tables, compare_metadata(context, SQLModel.metadata), context.get_current_revision()
    finally:
        engine.dispose()


def test_migrate_builds_exactly_the_models(store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # migrate() must not depend on the working directory
    migrate(store_url)
    migrate(store_url)  # at head already: nothing to do

    tables, differences, revision = schema(store_url)
    assert tables == set(SQLModel.metadata.tables)
    assert differences == []
    assert revision == ScriptDirectory.from_config(alembic_config(store_url)).get_current_head()


def test_downgrade_removes_everything_and_upgrade_rebuilds(store_url: str) -> None:
    migrate(store_url)
    engine = make_engine(store_url)
    try:
        with engine.begin() as connection:
            config = alembic_config(store_url)
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
    finally:
        engine.dispose()
    assert schema(store_url)[0] == set()

    migrate(store_url)  # the triggers and their function were dropped too, or this would fail on PostgreSQL
    assert schema(store_url)[0] == set(SQLModel.metadata.tables)


def test_alembic_command_line_upgrades_and_checks(store_url: str, tmp_path: Path) -> None:
    """What a person runs by hand: alembic.ini from another directory, the URL from DATABASE_URL."""

    def alembic(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "alembic", "-c", str(REPO / "alembic.ini"), *args],
            cwd=tmp_path,
            env={**os.environ, "DATABASE_URL": store_url},
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    alembic("upgrade", "head")
    assert "No new upgrade operations detected" in alembic("check")
