from pathlib import Path

import pytest

from activities.channels import FileChannel
from activities.collection import CollectionActivities
from activities.legal_case import LegalDesk
from activities.routing import Channels
from store.db import make_engine, migrate
from store.repository import Store
from tests.factories import example_renderer


@pytest.fixture
def store(tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'collections.db'}"
    migrate(url)
    return Store(make_engine(url))


@pytest.fixture
def activities(store: Store, tmp_path: Path) -> CollectionActivities:
    """The real activities on a real (SQLite) store, delivering to a file channel in tmp_path/outbox."""
    channels = Channels(FileChannel(tmp_path / "outbox"))
    return CollectionActivities(store, channels, example_renderer(), LegalDesk(store, tmp_path / "legal"))
