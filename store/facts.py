"""The KPIs' projection: each account's facts (domain.facts) as its workflow recorded them, once per account and
key, and read back for the figures (insight/kpis.py)."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import AccountFact
from store.repository import Store
from store.statements import table


def record(store: Store, rows: Sequence[AccountFact]) -> int:
    """Insert the rows whose (account, key) the store does not have yet; returns how many were new. A row already
    there keeps what it first said (a retry, or a run after continue-as-new, sends them again)."""
    if not rows:
        return 0
    for attempt in range(2):
        try:
            with store.engine.begin() as connection:
                accounts = {row.account_id for row in rows}
                known = set(connection.execute(
                    select(AccountFact.account_id, AccountFact.key).where(col(AccountFact.account_id).in_(accounts))
                ).all())  # fmt: skip
                new = [row for row in rows if (row.account_id, row.key) not in known]
                if new:
                    connection.execute(insert(table(AccountFact)), [row.model_dump(exclude={"id"}) for row in new])
                return len(new)
        except IntegrityError:
            if attempt:
                raise  # not a lost race: another constraint failed
    raise AssertionError("unreachable")


def read(store: Store, until: datetime | None = None, kinds: Sequence[str] = ()) -> list[AccountFact]:
    """Every fact up to `until` (of these kinds), oldest first."""
    statement = select(AccountFact).order_by(col(AccountFact.at), col(AccountFact.id))
    if until is not None:
        statement = statement.where(AccountFact.at <= until)
    if kinds:
        statement = statement.where(col(AccountFact.kind).in_(kinds))
    with Session(store.engine) as session:
        return list(session.exec(statement).all())
