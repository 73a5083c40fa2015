"""MonthlySnapshotWorkflow: the book's aging as the month ended, kept in the store, and the early warnings on it.
Started by the Temporal schedule `collections-monthly-snapshot` (on the 1st, 00:05 UTC: the month just ended; see
`insight/schedule.py`), or by hand for a month (`collections report snapshot`)."""

from datetime import timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.inputs import SnapshotInput, SnapshotResult

from workflows.records import ACTION_RETRY

SNAPSHOT_WORKFLOW = "MonthlySnapshot"
SCHEDULE_ID = "collections-monthly-snapshot"


@workflow.defn(name=SNAPSHOT_WORKFLOW)
class MonthlySnapshotWorkflow:
    @workflow.run
    async def run(self, input: SnapshotInput) -> SnapshotResult:
        now = workflow.now()
        ended = now.replace(day=1) - timedelta(days=1)
        month = input.month or f"{ended.year:04d}-{ended.month:02d}"
        accounts = await _step("take_snapshot", month, int)
        warnings = await _step("raise_warnings", month, list[str])
        workflow.logger.info("snapshot %s: %d accounts, %d warnings", month, accounts, len(warnings))
        return SnapshotResult(month=month, accounts=accounts, warnings=warnings)


async def _step(activity: str, month: str, result: type) -> Any:
    """An activity of the snapshot, retried like the accounts' (a store or Temporal's visibility briefly away)."""
    return await workflow.execute_activity(activity, month, result_type=result, retry_policy=ACTION_RETRY,
                                           start_to_close_timeout=timedelta(minutes=30))  # fmt: skip
