"""What an account's workflow publishes to Temporal visibility (the search attributes supervisors filter the book
by), computed from its state: the workflow upserts them only when they change."""

from datetime import UTC, date, datetime, time
from typing import Any, NamedTuple

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

from domain.account import AccountState
from domain.status import stage_and_day
from workflows import (
    ACCOUNT_ID,
    ARM,
    CURRENCY,
    DAYS_PAST_DUE,
    OLDEST_DUE,
    OUTSTANDING,
    PENDING_APPROVAL,
    SEGMENT,
    STAGE,
)


class Published(NamedTuple):
    """In the order the upserts have always listed them (recorded histories hold that order)."""

    stage: str
    outstanding: float
    days_past_due: int
    segment: str
    account_id: str
    currencies: str
    pending_approval: bool
    oldest_due: date | None
    arm: str | None = None  # only upserted when set: runs without an arm upsert what they always did


KEYS: dict[str, SearchAttributeKey[Any]] = {
    "stage": STAGE, "outstanding": OUTSTANDING, "days_past_due": DAYS_PAST_DUE, "segment": SEGMENT,
    "account_id": ACCOUNT_ID, "currencies": CURRENCY, "pending_approval": PENDING_APPROVAL, "oldest_due": OLDEST_DUE,
    "arm": ARM,
}  # fmt: skip
# Days past due change every day: alone they are not worth an upsert. Lists and reports compute them from the oldest
# due date (book.py); the attribute is as of the last change of another.
FOLLOWERS = frozenset({"days_past_due"})


def published_values(state: AccountState, now: datetime) -> Published:
    assert state.debtor is not None
    stage, day = stage_and_day(state, now)
    balances = state.balances(now)
    pending = any(a.state == "pending" for a in state.approvals.values()) and state.outcome is None
    currencies = ",".join(sorted(balances)) or state.invoices[0].currency
    return Published(stage, float(sum(balances.values())), day or 0, state.debtor.segment, state.account_id, currencies,
                     pending, state.oldest_due_date(), state.arm)  # fmt: skip


def search_attribute_updates(
    values: Published, published: Published | None, changed_only: bool
) -> list[SearchAttributeUpdate[Any]]:
    """What to upsert: nothing if nothing worth it changed. `changed_only` (runs marked `lean-steps`): the values
    that changed, and none for days past due alone; otherwise every value whenever one changed (the recorded
    histories before the marker replay so)."""
    if values == published:
        return []
    names = [name for name in KEYS if name != "arm" or values.arm is not None]
    if changed_only and published is not None:
        names = [name for name in names if getattr(values, name) != getattr(published, name)]
        if not set(names) - FOLLOWERS:
            return []
    return [_update(name, getattr(values, name)) for name in names]


def _update(name: str, value: object) -> SearchAttributeUpdate[Any]:
    key = KEYS[name]
    if isinstance(value, date):  # the oldest due date, a datetime attribute: midnight UTC of the date
        return key.value_set(datetime.combine(value, time(), tzinfo=UTC))
    return key.value_unset() if value is None else key.value_set(value)
