"""What the KPIs read from the store: the accounts' facts (store.facts), who owns each account, and the contacts made
with debtors (the contact log: messages and letters sent, calls and visits people recorded)."""

from datetime import datetime

from sqlmodel import Session, col, or_, select

from domain.bounds import EARLIEST, LATEST
from domain.kinds import DEBTOR_CONTACT, KINDS
from insight.arms import ExperimentReport, compare
from insight.kpis import Contact, KpiReport, kpis, month_bounds
from insight.trend import Trend, trend
from store import facts, snapshots
from store.models import Account, ContactLog
from store.repository import Store

SENT = tuple(kind.value for kind in DEBTOR_CONTACT if KINDS[kind].output != "task")  # a task is not a contact yet
MADE = ("call", "visit")  # what people recorded doing
CALLS = {"call": "create_call_task", "visit": "create_visit_task"}  # the action kind a call or visit answers


def owners(store: Store) -> dict[str, tuple[str | None, str | None]]:
    with Session(store.engine) as session:
        return {a: (o, t) for a, o, t in session.exec(select(Account.account_id, Account.owner, Account.team))}


def contacts(store: Store, start: datetime, end: datetime) -> list[Contact]:
    return [Contact(account, at) for account, at, _ in debtor_contacts(store, start, end)]


def debtor_contacts(
    store: Store, start: datetime = EARLIEST, end: datetime = LATEST
) -> list[tuple[str, datetime, str]]:
    """(account, when, action) of every contact with a debtor in [start, end): a message or letter sent, a call or
    visit made (as the action kind that gave its task)."""
    statement = select(ContactLog.account_id, ContactLog.at_utc, ContactLog.action, ContactLog.channel).where(
        ContactLog.at_utc >= start, ContactLog.at_utc < end,
        or_(col(ContactLog.action).in_(SENT) & (ContactLog.result == "sent"), col(ContactLog.channel).in_(MADE)),
    )  # fmt: skip
    with Session(store.engine) as session:
        return [(account, at, CALLS.get(channel, action)) for account, at, action, channel in session.exec(statement)]


def experiments_report(store: Store) -> list[ExperimentReport]:
    """Every experiment's arms compared, over everything recorded."""
    return compare(facts.read(store), contacts(store, EARLIEST, LATEST))


def trend_report(store: Store) -> Trend:
    """The aging trend and the roll rates over every monthly snapshot taken."""
    return trend(snapshots.month(store))


def month_report(store: Store, month: str) -> list[KpiReport]:
    """The month's KPIs from the store, one report per currency."""
    start, end = month_bounds(month)
    return kpis(facts.read(store, until=end), month, owners(store), contacts(store, start, end))
