"""The Temporal schedule that takes the monthly aging snapshot (workflows/snapshot.py): on the 1st of each month at
00:05 UTC, for the month just ended. The worker makes sure it exists when it starts (`ensure`); a schedule already
there is left as it is (an operator may have paused it or changed its time in the Web UI)."""

from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)

from workflows.inputs import SnapshotInput
from workflows.snapshot import SCHEDULE_ID, SNAPSHOT_WORKFLOW

MONTHLY = ScheduleCalendarSpec(day_of_month=[ScheduleRange(1)], hour=[ScheduleRange(0)], minute=[ScheduleRange(5)],
                               comment="the 1st, 00:05 UTC: the month just ended")  # fmt: skip


def schedule(task_queue: str) -> Schedule:
    start = ScheduleActionStartWorkflow(SNAPSHOT_WORKFLOW, SnapshotInput(), id=f"monthly-snapshot-{task_queue}",
                                        task_queue=task_queue)  # fmt: skip
    return Schedule(
        action=start,
        spec=ScheduleSpec(calendars=[MONTHLY], time_zone_name="UTC"),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=7)),
    )


async def ensure(client: Client, task_queue: str) -> bool:
    """Create the schedule unless it exists; True when created."""
    try:
        await client.create_schedule(schedule_id(task_queue), schedule(task_queue))
    except ScheduleAlreadyRunningError:
        return False
    return True


def schedule_id(task_queue: str) -> str:
    """One schedule per deployment (task queue) in the namespace."""
    return SCHEDULE_ID if task_queue == "collections" else f"{SCHEDULE_ID}-{task_queue}"
