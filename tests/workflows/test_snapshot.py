"""The monthly aging snapshot under the time-skipping server: the book as the month ended, kept once per month and
account, and seed 001's early warnings on it as tasks for the manager. (The time-skipping server has neither
schedules nor custom search attributes: the schedule itself and the book from visibility are tested on the dev
server, tests/integration/test_snapshot_schedule.py; here the book is given.)"""

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from book import AccountRow
from insight.kpis import previous
from store import make_engine, snapshots
from store.repository import Store
from worker import build_worker
from workflows.inputs import SnapshotInput, SnapshotResult
from workflows.snapshot import MonthlySnapshotWorkflow


def account(account_id: str, days: int | None, amount: str, segment: str = "standard") -> AccountRow:
    return AccountRow(account_id=account_id, workflow_id=f"collection-{account_id}", stage="friendly", segment=segment,
                      outstanding=Decimal(amount), currency="CNY", oldest_due=date(2026, 10, 1), days_past_due=days,
                      pending_approval=False, running=True)  # fmt: skip


OCTOBER = [account("A1", 0, "800.00"), account("A2", 40, "100.00"), account("A3", 5, "100.00", "commercial")]
NOVEMBER = [account("A1", 20, "800.00"), account("A2", 70, "100.00"), account("A4", 0, "1000.00")]


async def test_a_month_kept_once_and_its_warnings_given_to_the_manager(time_env: WorkflowEnvironment,
                                                                       tmp_path: Path) -> None:  # fmt: skip
    book = {"rows": OCTOBER}

    async def source() -> AsyncIterator[AccountRow]:
        for row in book["rows"]:
            yield row

    queue = f"tq-{uuid.uuid4()}"

    async def take(month: str | None) -> SnapshotResult:
        return await time_env.client.execute_workflow(MonthlySnapshotWorkflow.run, SnapshotInput(month=month),
                                                      id=f"snapshot-{uuid.uuid4()}", task_queue=queue,
                                                      result_type=SnapshotResult)  # fmt: skip

    async with build_worker(time_env.client, tmp_path, task_queue=queue, book_source=source):
        october = await take("2026-10")
        again = await take("2026-10")
        book["rows"] = NOVEMBER
        november = await take("2026-11")
        handle = await time_env.client.start_workflow(MonthlySnapshotWorkflow.run, SnapshotInput(),
                                                      id=f"snapshot-{uuid.uuid4()}", task_queue=queue,
                                                      result_type=SnapshotResult)  # fmt: skip
        latest, started = await handle.result(), (await handle.describe()).start_time
    assert (october.accounts, again.accounts, november.accounts) == (3, 0, 3)  # once per month and account
    assert october.warnings == [
        "share_1_30 of commercial (CNY) is 100.0%, above 15%: seed 001: more than 15% of the business line's "
        "receivables up to 30 days overdue"]  # fmt: skip
    assert len(november.warnings) == 2  # standard: 42% up to 30 days; its overdue amount grew from 100 to 900
    assert latest.month == previous(f"{started.year:04d}-{started.month:02d}")  # the month just ended when it ran
    assert latest.accounts == 3
    store = Store(make_engine(f"sqlite:///{tmp_path / 'collections.db'}"))
    try:
        kept = snapshots.month(store, "2026-11")
        assert [(r.account_id, r.bucket, r.outstanding) for r in kept] == [
            ("A1", "1-30", 800), ("A2", "61-90", 100), ("A4", "current", 1000)]  # fmt: skip
        tasks = [t for t in store.tasks(account_id="book") if t.kind == "early_warning"]
        assert len(tasks) == 1 + 2 + len(latest.warnings)  # each once, though October was taken twice
        assert {t.assignee_role for t in tasks} == {"collections_manager"}
        assert snapshots.months(store)[:2] == ["2026-10", "2026-11"]
    finally:
        store.close()
