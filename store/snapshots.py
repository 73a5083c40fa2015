"""Monthly aging snapshots in the store: taken once per month and account (a retry or a second trigger adds
nothing), read back for the trend, the roll rates and the early warnings."""

from collections.abc import Sequence

from sqlalchemy import insert
from sqlmodel import Session, col, select

from store.models import AgingSnapshot
from store.repository import Store
from store.statements import table


def record(store: Store, rows: Sequence[AgingSnapshot]) -> int:
    """Insert the rows of accounts the month's snapshot does not hold yet; returns how many were new."""
    if not rows:
        return 0
    months = {row.month for row in rows}
    with store.engine.begin() as connection:
        known = set(connection.execute(
            select(AgingSnapshot.month, AgingSnapshot.account_id).where(col(AgingSnapshot.month).in_(months))
        ).all())  # fmt: skip
        new = [row for row in rows if (row.month, row.account_id) not in known]
        if new:
            connection.execute(insert(table(AgingSnapshot)), [row.model_dump(exclude={"id"}) for row in new])
        return len(new)


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
