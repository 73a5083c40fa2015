"""Every store test runs twice: on a SQLite file and on a fresh database of a throwaway PostgreSQL server."""

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from store import Store
from tests.postgres import PostgresUnavailable, create_database, postgres_server


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """One server for the session. Missing binaries fail the tests (CI installs them), never skip them."""
    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_server())
        except PostgresUnavailable as exc:
            failure = str(exc)
        else:
            failure = None
        if failure is not None:
            pytest.fail(failure, pytrace=False)  # outside the except: the reason is printed once
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database; the PostgreSQL server starts only when a test first asks for it."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return create_database(request.getfixturevalue("postgres_server_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A store on the migrated database."""
    opened = Store.open(store_url)
    yield opened
    opened.close()
