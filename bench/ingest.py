"""Ingest benchmark: N invoice.overdue events, one account each, through the real ingest path (edge.ingest:
parse and validate each line, pick the policy, signal-with-start the account's workflow), against bare
start_workflow calls of a trivial workflow, with the same concurrency, each on a fresh dev server of the same
storage mode. No worker runs in either: both measure getting accounts started. Target: ratio at least 0.9.

A second, informative baseline is a bare signal-with-start carrying our payloads: what the contract (a second
invoice joins the running workflow; the account keeps the policy it started with) costs the server, so that the
ratio against it is our code's own cost."""

import argparse
import asyncio
import hashlib
from datetime import UTC, datetime

from bench.baseline import TRIVIAL, gather_limited
from bench.common import Timer, dev_server, report, storages
from domain.policy_book import PolicyBook
from edge.ingest import ingest, read_lines, validate
from tests.factories import overdue_line
from workflows import INVOICE_OVERDUE
from workflows.inputs import CollectionInput

CONCURRENCY = 64  # edge.ingest.ingest's default


def event_lines(n: int, run: str) -> list[str]:
    now = datetime.now(UTC)
    return [overdue_line(account_id=f"{run}-{i:06d}", event_id=f"{run}-evt-{i}", invoice_id=f"INV-{i}",
                         occurred_at=now) for i in range(n)]  # fmt: skip


async def ours(storage: str, n: int) -> float:
    lines = read_lines(event_lines(n, "ING"))
    async with dev_server(storage) as server:
        client = await server.client()
        with Timer() as timer:
            result = await ingest(client, lines, PolicyBook(), concurrency=CONCURRENCY)
    assert result.count("started") == n, result.summary()
    return n / timer.seconds


async def bare(storage: str, n: int) -> float:
    async with dev_server(storage) as server:
        client = await server.client()
        starts = [client.start_workflow(TRIVIAL, f"BARE-{i:06d}", id=f"bare-{i:06d}", task_queue="bench-bare")
                  for i in range(n)]  # fmt: skip
        with Timer() as timer:
            await gather_limited(starts, CONCURRENCY)
    return n / timer.seconds


async def bare_signal_with_start(storage: str, n: int, snapshot: bool = True) -> float:
    """What the contract asks of the server, without our code: a signal-with-start carrying the same input (with
    its policy snapshot) and the same event as ours, the events parsed and the inputs built beforehand. Without
    `snapshot`, the input names the policy by its content hash instead (64 characters for its 3.7 KB): what a
    start would cost if the workflow fetched the policy once through a local activity."""
    book = PolicyBook()
    lines = read_lines(event_lines(n, "SWS"))
    for line in lines:
        validate(line, book)
    events = [line.event for line in lines if line.event]
    inputs: list[object] = []
    for event in events:
        policy = book.for_segment(event.debtor.segment)
        digest = hashlib.sha256(policy.model_dump_json().encode()).hexdigest()
        named = {"account_id": event.account_id, "policy": digest}
        inputs.append(CollectionInput(account_id=event.account_id, policy=policy) if snapshot else named)
    async with dev_server(storage) as server:
        client = await server.client()
        starts = [client.start_workflow(TRIVIAL, start, id=f"sws-{i:06d}", task_queue="bench-bare",
                                        start_signal=INVOICE_OVERDUE, start_signal_args=[event])
                  for i, (start, event) in enumerate(zip(inputs, events, strict=True))]  # fmt: skip
        with Timer() as timer:
            await gather_limited(starts, CONCURRENCY)
    return n / timer.seconds


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000, help="events, one account each (default 10,000)")
    parser.add_argument("--storage", choices=["sqlite", "memory", "both"], default="both")
    args = parser.parse_args()
    rows, ratios = [], []
    for storage in storages(args.storage):
        base = await bare(storage, args.events)
        contract = await bare_signal_with_start(storage, args.events)
        hashed = await bare_signal_with_start(storage, args.events, snapshot=False)
        mine = await ours(storage, args.events)
        rows += [(f"[{storage}] bare start_workflow (baseline)", f"{base:,.0f} events/s"),
                 (f"[{storage}] bare signal-with-start, our payloads", f"{contract:,.0f} events/s"),
                 (f"[{storage}] the same, the policy named by its hash", f"{hashed:,.0f} events/s"),
                 (f"[{storage}] edge.ingest", f"{mine:,.0f} events/s")]  # fmt: skip
        ratios.append((f"[{storage}] ingest / bare", mine / base, "target >= 0.9"))
        ratios.append((f"[{storage}] ingest / bare signal-with-start", mine / contract,
                       "informative: our code's own cost"))  # fmt: skip
        ratios.append((f"[{storage}] signal-with-start, policy by hash / bare", hashed / base,
                       "informative: the most a smaller start request could give"))  # fmt: skip
    report(f"ingest: {args.events:,} events, concurrency {CONCURRENCY}", rows, ratios)


if __name__ == "__main__":
    asyncio.run(main())
