"""Accounts first seen late, under the time-skipping server: the written demand first, one debtor contact a day, the
final notice after the demand letter's deadline (rules 4; the planner's rules in tests/domain/test_late_entry.py)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.workflows.harness import Account


@pytest.fixture
async def account(time_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Account]:
    async with Account(time_env, tmp_path) as unopened:
        yield unopened


def ladder(account: Account) -> list[tuple[str, int]]:
    return [(r["step"], r["day"]) for r in account.delivered() if r["step"].startswith("d")]


async def test_entering_at_day_40_gets_the_demand_letter_then_the_call_next_day(account: Account) -> None:
    await account.open(days_past_due=40)
    await account.days(6)
    assert ladder(account) == [("d031-send_demand_letter", 40), ("d035-create_call_task", 41), ("d045-send_sms", 45)]
    status = await account.status()
    assert [h.step for h in status.history if h.kind == "skipped"] == [
        "d001-send_sms", "d003-send_email", "d010-send_sms", "d020-send_email"
    ]  # fmt: skip


async def test_entering_at_day_75_sends_the_demand_letter_first(account: Account) -> None:
    await account.open(days_past_due=75)
    await account.days(15)
    assert ladder(account) == [("d031-send_demand_letter", 75), ("d061-escalate_to_manager", 75),
                               ("d068-create_visit_task", 76), ("d075-send_final_notice", 89)]  # fmt: skip
    status = await account.status()
    letter = next(h for h in status.history if h.step == "d031-send_demand_letter" and h.kind == "action")
    assert letter.detail.endswith("sent although the formal_demand stage was over: required before "
                                  "d075-send_final_notice")  # fmt: skip
    deferred = next(h for h in status.history if h.step == "d068-create_visit_task" and h.kind == "deferred")
    assert "at most 1 debtor contact(s) a day from the ladder" in deferred.detail


async def test_entering_at_day_100_asks_for_no_lawyers_letter_before_the_written_demand(account: Account) -> None:
    await account.open(days_past_due=100)
    await account.days(1 / 24)
    status = await account.status()
    assert status.pending_approvals == []
    assert status.next_action is not None and status.next_action.step == "d075-send_final_notice"
    await account.approve_until("with_legal", max_days=40)
    assert ladder(account) == [("d031-send_demand_letter", 100), ("d075-send_final_notice", 114),
                               ("d091-issue_lawyer_letter", 115), ("d105-open_litigation_task", 122)]  # fmt: skip
    skipped = [h.step for h in (await account.status()).history if h.kind == "skipped"]
    assert "d090-lock_new_orders" in skipped and "d068-create_visit_task" in skipped
