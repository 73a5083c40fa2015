"""Debtors' data on disk is its owner's alone: the store, the outbox, the letters and the legal packages were
created world-readable (the umask's 0644 and 0755)."""

import os
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from activities.collection import CollectionActivities
from domain.policy_book import PolicyBook
from store.db import make_engine
from tests.activities.test_rendering import START
from tests.domain.simulate import open_account, simulate


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most systems give (group and others may read), whatever this test run has."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def shared(root: Path) -> dict[str, str]:
    """Everything under `root` that its group or others may use, with its mode."""
    return {
        str(path.relative_to(root)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in root.rglob("*")
        if path.stat().st_mode & 0o077
    }


def test_the_store_outbox_letters_and_legal_package_are_owner_only(
    usual_umask: None, tmp_path: Path, activities: CollectionActivities
) -> None:
    """The whole standard ladder through the real activities: SMS, email, the three letters, the legal handoff."""
    state = open_account(PolicyBook().for_segment("standard"), START)
    for request in simulate(state, START, START + timedelta(days=400)).requests:
        activities.perform(request)
    written = {path.relative_to(tmp_path).parts[0] for path in tmp_path.rglob("*")}
    assert {"collections.db", "collections.db-wal", "outbox", "legal"} <= written
    assert list((tmp_path / "legal").glob("*.zip")) and list((tmp_path / "outbox" / "documents").glob("*.pdf"))
    assert shared(tmp_path) == {}


def test_a_sqlite_store_in_a_new_folder_is_owner_only(usual_umask: None, tmp_path: Path) -> None:
    with make_engine(f"sqlite:///{tmp_path / 'var' / 'collections.db'}").begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
    assert shared(tmp_path) == {}
