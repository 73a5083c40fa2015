"""What an account's workflow publishes to Temporal visibility (the search attributes supervisors filter the book
by), computed from its state: the workflow upserts them only when they change."""

from datetime import UTC, date, datetime, time
from typing import Any

from temporalio.common import SearchAttributeUpdate

from domain.account import AccountState
from domain.status import stage_and_day
from workflows import (
    ACCOUNT_ID,
    CURRENCY,
    DAYS_PAST_DUE,
    OLDEST_DUE,
    OUTSTANDING,
    PENDING_APPROVAL,
    SEGMENT,
    STAGE,
)

Published = tuple[str, float, int, str, date | None, str, bool]


def published_values(state: AccountState, now: datetime) -> Published:
    """Stage, outstanding, days past due, segment, oldest due date, currencies, pending approval."""
    assert state.debtor is not None
    stage, day = stage_and_day(state, now)
    balances = state.balances(now)
    pending = any(a.state == "pending" for a in state.approvals.values()) and state.outcome is None
    currencies = ",".join(sorted(balances)) or state.invoices[0].currency
    return (stage, float(sum(balances.values())), day or 0, state.debtor.segment, state.oldest_due_date(), currencies,
            pending)  # fmt: skip


def search_attribute_updates(account_id: str, values: Published) -> list[SearchAttributeUpdate[Any]]:
    stage, outstanding, day, segment, oldest, currencies, pending = values
    due = datetime.combine(oldest, time(), tzinfo=UTC) if oldest else None
    return [
        STAGE.value_set(stage),
        OUTSTANDING.value_set(outstanding),
        DAYS_PAST_DUE.value_set(day),
        SEGMENT.value_set(segment),
        ACCOUNT_ID.value_set(account_id),
        CURRENCY.value_set(currencies),
        PENDING_APPROVAL.value_set(pending),
        OLDEST_DUE.value_set(due) if due else OLDEST_DUE.value_unset(),
    ]
