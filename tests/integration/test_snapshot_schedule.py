"""The monthly aging snapshot's Temporal schedule on the real dev server: made once by the worker's start, on the 1st
at 00:05 UTC; triggered, it takes the book from visibility into the store."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import ScheduleActionStartWorkflow, ScheduleRange
from temporalio.testing import WorkflowEnvironment

import book
from domain.policy_book import PolicyBook
from edge.ingest import submit
from insight import schedule
from insight.kpis import previous, this_month
from store import make_engine, snapshots
from store.models import AgingSnapshot
from store.repository import Store
from tests.factories import overdue
from tests.polling import eventually
from worker import build_worker

pytestmark = pytest.mark.integration


async def test_the_schedule_is_made_once_and_takes_the_book(dev_env: WorkflowEnvironment, tmp_path: Path) -> None:
    client, queue = dev_env.client, f"tq-{uuid.uuid4()}"
    assert await schedule.ensure(client, queue) is True
    assert await schedule.ensure(client, queue) is False  # a second start leaves it as it is
    handle = client.get_schedule_handle(schedule.schedule_id(queue))
    try:
        described = (await handle.describe()).schedule
        (calendar,) = described.spec.calendars
        when = (list(calendar.day_of_month), list(calendar.hour), list(calendar.minute))
        assert when == ([ScheduleRange(1, 1)], [ScheduleRange(0, 0)], [ScheduleRange(5, 5)])
        assert described.spec.time_zone_name == "UTC"
        action = described.action
        assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "MonthlySnapshot"
        assert action.task_queue == queue

        async with build_worker(client, tmp_path, task_queue=queue):
            account = f"SNAP-{uuid.uuid4().hex[:8]}"
            now = datetime.now(UTC)
            event = overdue(account_id=account, occurred_at=now, amount="4321.00", timezone="UTC",
                            due_date=now.date() - timedelta(days=45))  # fmt: skip
            assert await submit(client, event, PolicyBook(), task_queue=queue) == "started"

            async def listed() -> list[book.AccountRow]:
                return [row async for row in book.open_accounts(client, book.Filters(task_queue=queue))]

            # Visibility has caught up with the account's first workflow task (its currency published).
            await eventually(listed, lambda rows: any(r.account_id == account and r.currency for r in rows), timeout=30)
            await handle.trigger()
            month = previous(this_month(now.date()))  # the month just ended
            store = Store(make_engine(f"sqlite:///{tmp_path / 'collections.db'}"))
            try:
                rows = await eventually(lambda: _rows(store, month), bool, timeout=30)
            finally:
                store.close()
        assert [(r.account_id, r.bucket, r.outstanding) for r in rows] == [(account, "31-60", 4321)]
    finally:
        await handle.delete()


async def _rows(store: Store, month: str) -> list[AgingSnapshot]:
    return snapshots.month(store, month)
