"""The baselines: bare workflows that do what ours do at the Temporal level (a start; timers and activities) and
nothing else, so the ratio shows what our own code costs on top of Temporal's."""

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

TRIVIAL = "BenchTrivial"
BARE_LADDER = "BenchBareLadder"


@workflow.defn(name=TRIVIAL)
class Trivial:
    """Started, never run in the ingest benchmark (no worker): what a bare start_workflow costs."""

    @workflow.run
    async def run(self, account_id: str) -> None:
        return None


@activity.defn(name="bench_noop")
def noop(step: int) -> int:
    return step


@workflow.defn(name=BARE_LADDER)
class BareLadder:
    """One timer and one no-op activity per ladder step, at the same offsets as the real ladder."""

    @workflow.run
    async def run(self, offsets_seconds: list[float]) -> int:
        started = workflow.now()
        for step, offset in enumerate(offsets_seconds):
            wait = started + timedelta(seconds=offset) - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait)
            await workflow.execute_activity(noop, step, start_to_close_timeout=timedelta(minutes=2))
        return len(offsets_seconds)


async def gather_limited(coroutines: list, limit: int) -> list:
    """Run coroutines with at most `limit` in flight (the same limit for ours and the baseline)."""
    gate = asyncio.Semaphore(limit)

    async def one(coroutine: object) -> object:
        async with gate:
            return await coroutine  # type: ignore[misc]

    return await asyncio.gather(*(one(c) for c in coroutines))
