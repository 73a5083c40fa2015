"""People's work under the time-skipping server: a call task worked to a promise, a visit the ladder waits for, and
the calls and the visit in the legal evidence package."""

import json
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.commands import CompleteTask, RecordContact
from domain.policy_book import PolicyBook
from store.db import make_engine
from store.repository import Store
from tests.workflows.harness import LADDER_BOOK, Account
from workflows import COMPLETE_TASK, RECORD_CONTACT


def visit_awaited(book: PolicyBook) -> PolicyBook:
    """The standard ladder, its day-68 field visit awaited before the final notice and the lawyer's letter."""
    copy = PolicyBook()
    copy.by_segment = dict(book.by_segment)
    standard = book.for_segment("standard")
    steps = [s.model_copy(update={"awaits_result": True}) if s.day == 68 else s for s in standard.steps]
    copy.by_segment["standard"] = standard.model_copy(update={"steps": steps})
    return copy


async def test_a_call_task_worked_to_a_promise_holds_the_ladder_and_is_evidence(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    account = Account(time_env, tmp_path)
    async with account:
        await account.open()
        await account.approve_until("formal_demand", work=False)
        await account.days(4)  # day 35: the call task
        status = await account.status()
        [task] = [t for t in status.tasks if t.state == "open"]
        assert (task.key, task.kind) == ("d035-create_call_task", "collector_call")
        at = await time_env.get_current_time()
        promised = (await account.today()) + timedelta(days=7)
        status = await account.update(
            RECORD_CONTACT, RecordContact, channel="call", result="reached", at=at, duration_minutes=6,
            notes="CFO confirms the debt; cash flow tight", evidence_ref="rec-2026-0042", task=task.key,
            promise={"amount": "12000.00", "currency": "CNY", "promised_date": promised},
        )  # fmt: skip
        assert [t.state for t in status.tasks] == ["done"] and status.tasks[0].done_by == "tester"
        assert status.promises[0].taken_by == "tester" and "promise" in (status.held or "")
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await account.update(COMPLETE_TASK, CompleteTask, task=task.key, outcome="again")
        assert "already done (call reached, by tester)" in str(refused.value.cause)
        await account.days(3)
        ladder = [s for s in account.steps() if s.startswith("d")]
        assert ladder[-1] == "d035-create_call_task", "the ladder holds while the promise runs"
        await account.pay("PAY-1", "12000.00")
        result = await account.result()
    assert result.outcome == "paid"
    store = Store(make_engine(account.database_url))
    [row] = [r for r in store.contact_log(account.id) if r.action == "record_contact"]
    assert (row.channel, row.result, row.by, row.duration_minutes, row.evidence_ref) == (
        "call", "reached", "tester", 6, "rec-2026-0042"
    )  # fmt: skip
    assert "CFO confirms the debt" in (row.detail or "") and row.at_local.endswith("+08:00")
    assert not [r for r in account.delivered() if r["action"] == "notify_overdue_task"]


async def test_the_ladder_waits_for_the_visit_and_the_package_holds_the_calls_and_the_visit(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    account = Account(time_env, tmp_path, book=visit_awaited(LADDER_BOOK))
    async with account:
        await account.open()
        await account.approve_until("strict")  # day 61, every task done the day it came
        await account.days(0.1)
        await account.work()  # the manager's escalation of day 61
        await account.days(7)  # day 68: the visit
        at = await time_env.get_current_time()
        await account.update(RECORD_CONTACT, RecordContact, channel="call", result="no_answer", at=at,
                             notes="before the visit")  # fmt: skip
        await account.days(10)  # day 78: no final notice while the visit's result is awaited
        status = await account.status()
        assert "d075-send_final_notice" not in account.steps()
        assert "waiting for the result of d068-create_visit_task" in (status.waiting or "")
        notices = [r["assignee_role"] for r in account.delivered() if r["action"] == "notify_overdue_task"]
        assert notices == ["supervisor", "manager", "general_manager"]  # due day 73, one level a day
        at = await time_env.get_current_time()
        await account.update(RECORD_CONTACT, RecordContact, channel="visit", result="visited", at=at,
                             agreed="will pay half by month end", evidence_ref="photo-0078",
                             task="d068-create_visit_task")  # fmt: skip
        await account.days(1)
        assert "d075-send_final_notice" in account.steps()
        status = await account.approve_until("with_legal")
    store = Store(make_engine(account.database_url))
    [case] = store.cases()
    rows = [r for r in json.loads(case.package or "{}")["contact_log"] if r["action"] == "record_contact"]
    assert [(r["channel"], r["result"], r["by"], r["evidence_ref"]) for r in rows] == [
        ("call", "no_answer", "tester", None), ("visit", "visited", "tester", "photo-0078")
    ]  # fmt: skip
    assert "agreed: will pay half by month end" in rows[1]["detail"]
