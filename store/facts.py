"""The KPIs' projection: each account's facts (domain.facts) as its workflow recorded them, once per account and
key, and read back for the figures (insight/kpis.py)."""

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from store import statements
from store.models import AccountFact
from store.repository import Store


def record(store: Store, rows: Sequence[AccountFact]) -> int:
    """Insert the rows whose (account, key) the store does not have yet; returns how many were new. A row already
    there keeps what it first said (a retry, or a run after continue-as-new, sends them again)."""
    return statements.insert_new(store.engine, rows, ("account_id", "key"))


def read(store: Store, until: datetime | None = None, kinds: Sequence[str] = ()) -> list[AccountFact]:
    """Every fact up to `until` (of these kinds), oldest first."""
    statement = select(AccountFact).order_by(col(AccountFact.at), col(AccountFact.id))
    if until is not None:
        statement = statement.where(AccountFact.at <= until)
    if kinds:
        statement = statement.where(col(AccountFact.kind).in_(kinds))
    with Session(store.engine) as session:
        return list(session.exec(statement).all())
