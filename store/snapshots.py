"""Monthly aging snapshots in the store: taken once per month and account (a retry or a second trigger adds
nothing), read back for the trend, the roll rates and the early warnings."""

from collections.abc import Sequence

from sqlmodel import Session, col, select

from store import statements
from store.models import AgingSnapshot
from store.repository import Store


def record(store: Store, rows: Sequence[AgingSnapshot]) -> int:
    """Insert the rows of accounts the month's snapshot does not hold yet; returns how many were new."""
    return statements.insert_new(store.engine, rows, ("month", "account_id"))


def month(store: Store, name: str | None = None) -> list[AgingSnapshot]:
    """A month's rows (None: every month's), by month and account."""
    statement = select(AgingSnapshot).order_by(col(AgingSnapshot.month), col(AgingSnapshot.account_id))
    if name is not None:
        statement = statement.where(AgingSnapshot.month == name)
    with Session(store.engine) as session:
        return list(session.exec(statement).all())


def months(store: Store) -> list[str]:
    """The months that have a snapshot, oldest first."""
    with Session(store.engine) as session:
        return sorted(set(session.exec(select(AgingSnapshot.month).distinct())))
