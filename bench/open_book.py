"""Open-book benchmark: N accounts asleep (due today, their first step tomorrow) with one worker process (`python
worker.py`, the SDK's default cache of workflows): the resident memory of the worker and of the dev server, and
the update round trip (update_contact, answered with the status) against a cold account (evicted from the
worker's cache: it is replayed from its history first), against the baseline of the same update right after on
the same account, now cached. Target: 100,000 open accounts on one worker under 1 GB RSS (`--large`)."""

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.common import Timer, children_rss_mb, dev_server, percentile, report, rss_mb, storages
from domain.commands import UpdateContact
from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from edge.ingest import Line, ingest, read_lines
from settings import EXAMPLE_CREDITORS
from tests.factories import overdue_line
from workflows import UPDATE_CONTACT, workflow_id

ROOT = Path(__file__).resolve().parent.parent


async def settled(client, n: int, timeout: float, memory: Callable[[], str]) -> int:
    """Wait until every account has run its first workflow task (it publishes its stage then), showing progress
    and `memory()` every 30 s."""
    deadline, count, polls = time.monotonic() + timeout, 0, 0
    while time.monotonic() < deadline:
        count = (await client.count_workflows("CollectionStage = 'pre_due'")).count
        if count >= n:
            break
        polls += 1
        if polls % 15 == 0:
            print(f"  {count:,} of {n:,} accounts asleep; {memory()}", file=sys.stderr, flush=True)
        await asyncio.sleep(2)
    return count


def progress(n: int, what: str) -> Callable[[Line], None]:
    def show(line: Line) -> None:
        if line.number % 5000 == 0:
            print(f"  {line.number:,} of {n:,} {what}", file=sys.stderr, flush=True)

    return show


async def round_trip(client, account: str, n: int) -> float:
    command = UpdateContact(command_id=f"bench-{account}-{n}", by="bench", email=f"ap{n}@example.com")
    handle = client.get_workflow_handle(workflow_id(account))
    with Timer() as timer:
        await handle.execute_update(UPDATE_CONTACT, command, result_type=AccountStatus)
    return timer.seconds * 1000


async def measure(storage: str, n: int, samples: int) -> tuple[list[tuple[str, str]], tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="bench-book-") as folder:
        async with dev_server(storage) as server:
            client = await server.client()
            env = {
                **os.environ,
                "TEMPORAL_ADDRESS": server.address,
                "COLLECTIONS_VAR_DIR": folder,
                "COLLECTIONS_CREDITOR_DIR": str(EXAMPLE_CREDITORS),
            }  # signed by the example, as in development
            worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], env=env, cwd=ROOT,
                                      stdout=subprocess.DEVNULL)  # fmt: skip
            try:
                today = datetime.now(UTC)
                lines = read_lines(overdue_line(account_id=f"BOOK-{i:06d}", event_id=f"book-{i}", occurred_at=today,
                                                due_date=today.date(), timezone="UTC") for i in range(n))  # fmt: skip
                with Timer() as started:
                    result = await ingest(client, lines, PolicyBook(), on_result=progress(n, "events submitted"))
                assert result.count("started") == n, result.summary()
                memory = lambda: f"worker {rss_mb(worker.pid):,.0f} MiB, server {server.rss_mb():,.0f} MiB"  # noqa: E731
                asleep = await settled(client, n, max(600, n / 20), memory)
                await asyncio.sleep(5)  # let the worker's memory settle
                worker_mb, children_mb, server_mb = rss_mb(worker.pid), children_rss_mb(worker.pid), server.rss_mb()
                picks = random.Random(7).sample(range(n // 2), min(samples, n // 2))  # the oldest: long evicted
                cold, warm = [], []
                for k, i in enumerate(picks):
                    cold.append(await round_trip(client, f"BOOK-{i:06d}", 2 * k))
                    warm.append(await round_trip(client, f"BOOK-{i:06d}", 2 * k + 1))
            finally:
                worker.terminate()
                worker.wait(timeout=60)
    tag = f"[{storage}]"
    return [
        (f"{tag} accounts started", f"{n:,} in {started.seconds:,.0f} s; {asleep:,} asleep"),
        (f"{tag} worker RSS", f"{worker_mb:,.0f} MiB ({worker_mb * 1024 / n:,.1f} KiB per account)"),
        (f"{tag} worker's child processes' RSS", f"{children_mb:,.0f} MiB (letters are typeset in the worker)"),
        (f"{tag} dev server RSS", f"{server_mb:,.0f} MiB"),
        (f"{tag} update round trip, cached account (baseline)",
         f"p50 {percentile(warm, 50):.0f} ms, p95 {percentile(warm, 95):.0f} ms ({len(warm)} updates)"),
        (f"{tag} update round trip, cold account",
         f"p50 {percentile(cold, 50):.0f} ms, p95 {percentile(cold, 95):.0f} ms ({len(cold)} updates)"),
    ], (worker_mb + children_mb, percentile(warm, 50) / percentile(cold, 50))  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000, help="sleeping accounts (default 10,000)")
    parser.add_argument("--large", action="store_true", help="100,000 accounts")
    parser.add_argument("--samples", type=int, default=200, help="updates to time (default 200)")
    parser.add_argument("--storage", choices=["sqlite", "memory", "both"], default="both")
    args = parser.parse_args()
    n = 100_000 if args.large else args.accounts
    rows, ratios = [], []
    for storage in storages(args.storage):
        figures, (resident_mb, ratio) = await measure(storage, n, args.samples)
        rows += figures
        ratios.append((f"[{storage}] cached / cold update p50", ratio, "informative: the cost of a replay"))
        ratios.append((f"[{storage}] worker and its children's RSS / 1 GiB", resident_mb / 1024,
                       "target < 1 with 100,000 accounts"))  # fmt: skip
    report(f"open book: {n:,} sleeping accounts, one worker", rows, ratios)


if __name__ == "__main__":
    asyncio.run(main())
