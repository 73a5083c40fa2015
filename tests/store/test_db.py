"""Where the database is and how SQLite is opened for several writers."""

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from store import Store, make_engine
from store.db import normalize_url


def test_the_store_opens_the_url_it_is_given_and_creates_the_sqlite_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Which URL is Settings' business (tests/test_settings.py); the store reads no variable of its own."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    engine = make_engine(f"sqlite:///{tmp_path / 'deep' / 'x.db'}")
    try:
        assert engine.url.database == str(tmp_path / "deep" / "x.db")
        assert (tmp_path / "deep").is_dir()
    finally:
        engine.dispose()


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_postgres_urls_use_psycopg_3(scheme: str) -> None:
    assert normalize_url(f"{scheme}://u:p%40ss@db:5432/c") == "postgresql+psycopg://u:p%40ss@db:5432/c"


def test_sqlite_engine_is_set_up_for_concurrent_writers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with engine.connect() as connection:
            pragmas = {p: connection.execute(text(f"PRAGMA {p}")).scalar() for p in ("journal_mode", "foreign_keys")}
            timeout = connection.execute(text("PRAGMA busy_timeout")).scalar()
    finally:
        engine.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1}
    assert timeout is not None and timeout >= 10_000


def test_a_database_error_does_not_carry_the_debtors_data(store: Store) -> None:
    """Errors reach the worker's log: a NUL in a name made PostgreSQL refuse the row, and the log printed the
    statement's parameters, the debtor's name, phone and email among them."""
    debtor = {"name": "上海明达贸易有限公司", "phone": "+8613800000000"}
    with pytest.raises(DBAPIError) as failure, store.engine.begin() as connection:
        connection.execute(text("SELECT :name, :phone FROM no_such_table"), debtor)
    assert "no_such_table" in str(failure.value)
    assert not any(value in str(failure.value) for value in debtor.values())
