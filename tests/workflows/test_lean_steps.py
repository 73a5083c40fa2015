"""A run marked `lean-steps` (every account opened from issue 19 on) does its staff tasks and store records as
local activities, and upserts only the search attributes that changed; runs recorded before the marker replay on
the old path (tests/histories v1-v10, test_replay.py)."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from tests.workflows.harness import Account
from worker import SANDBOX
from workflows.collection import CollectionWorkflow
from workflows.visibility import Published, search_attribute_updates

FIRST = Published("friendly", 12000.0, 1, "standard", "ACC-1", "CNY", False, date(2026, 10, 1))


def names(updates: list) -> list[str]:
    return [update.key.name for update in updates]


def test_the_first_publication_sets_every_attribute() -> None:
    for changed_only in (False, True):
        assert names(search_attribute_updates(FIRST, None, changed_only)) == [
            "CollectionStage", "CollectionOutstanding", "CollectionDaysPastDue", "CollectionSegment",
            "CollectionAccountId", "CollectionCurrency", "CollectionPendingApproval", "CollectionOldestDue",
        ]  # fmt: skip


def test_days_past_due_alone_are_not_published_but_follow_the_next_change() -> None:
    next_day = FIRST._replace(days_past_due=2)
    assert search_attribute_updates(next_day, FIRST, changed_only=True) == []
    assert len(search_attribute_updates(next_day, FIRST, changed_only=False)) == 8  # the path before the marker
    paid = FIRST._replace(days_past_due=5, outstanding=2000.0)
    assert names(search_attribute_updates(paid, FIRST, changed_only=True)) == [
        "CollectionOutstanding",
        "CollectionDaysPastDue",
    ]
    assert search_attribute_updates(FIRST, FIRST, changed_only=False) == []


def test_an_oldest_due_date_paid_off_is_unset() -> None:
    paid = FIRST._replace(oldest_due=None, outstanding=0.0, stage="closed")
    updates = search_attribute_updates(paid, FIRST, changed_only=True)
    assert names(updates) == ["CollectionStage", "CollectionOutstanding", "CollectionOldestDue"]
    assert updates[-1].value is None
    due = search_attribute_updates(FIRST, paid, changed_only=True)[-1]
    assert due.value == datetime(2026, 10, 1, tzinfo=UTC)


async def test_tasks_are_local_activities_and_sends_stay_activities(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    account = Account(time_env, tmp_path)
    async with account:
        await account.open()
        await account.days(36)  # past the day-35 call task
        history = await account.handle.fetch_history()
        status = await account.status()
    assert [t.key for t in status.tasks] == ["d035-create_call_task"]
    scheduled = [e.activity_task_scheduled_event_attributes.activity_type.name for e in history.events
                 if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED]  # fmt: skip
    assert scheduled == ["send_sms", "send_email", "send_sms", "send_email", "send_demand_letter"]
    markers = [
        e.marker_recorded_event_attributes for e in history.events if e.HasField("marker_recorded_event_attributes")
    ]
    local = [json.loads(m.details["data"].payloads[0].data)["activity_type"] for m in markers
             if m.marker_name == "core_local_activity"]  # fmt: skip
    tasks = [name for name in local if name != "record_facts"]  # the KPIs' facts (test_facts.py)
    assert tasks == ["create_call_task", "notify_overdue_task"]  # the task, then its notice up the chain once overdue
    assert "record_facts" in local
    assert sum(m.marker_name == "core_patch" for m in markers) >= 2  # lean-steps and the account's rules
    replayer = Replayer(workflows=[CollectionWorkflow], data_converter=pydantic_data_converter, workflow_runner=SANDBOX)
    await replayer.replay_workflow(WorkflowHistory(account.handle.id, history.events))
