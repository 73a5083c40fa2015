"""Fault drills: the worker killed with SIGKILL in the middle of 100 ladders; one of two workers on the same task
queue and a PostgreSQL store killed so (the other one takes over its accounts while both contend for the same outbox
keys and the file channel's lock); and the dev server (SQLite file) stopped and restarted in the middle of 100
ladders. Afterwards every expected message is in the outbox exactly once, no account is stuck, and every account's
status agrees with what was sent.

The worker and the server are real processes (`python worker.py`, `temporal server start-dev`). The ladder is the
standard one, compressed (a day lasts DAY_SECONDS), without approval gates and without its three letters (their
PDF rendering would triple the drill's time; their exactly-once is tested in tests/activities), and with every
stage from day 1, so that an account reached late still takes each step instead of skipping a stage that is over:
then the expected messages are exactly the ladder's, whatever the faults delayed."""

import asyncio
import collections
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.channels import FileChannel
from bench.common import free_port, start_dev_server, stop, until_up
from bench.ladder import bench_book
from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from edge.ingest import ingest, read_lines
from store.repository import Store
from tests.factories import overdue_line
from tests.postgres import postgres_server
from workflows import STATUS, workflow_id

pytestmark = [pytest.mark.drill, pytest.mark.crash]

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = int(os.environ.get("DRILL_ACCOUNTS", "100"))  # at least 100 for the record
DAY_SECONDS = 0.15  # the ladder's 104 days last 16 s


@dataclass
class Stack:
    """A dev server on a SQLite file and worker processes (sharing the var folder, and `database_url`'s store when
    given, else the SQLite file in it), all restartable."""

    folder: Path
    port: int
    server: subprocess.Popen
    database_url: str | None = None
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.folder / 'var' / 'collections.db'}"

    def start_worker(self) -> subprocess.Popen:
        env = {**os.environ, "TEMPORAL_ADDRESS": self.address, "COLLECTIONS_VAR_DIR": str(self.folder / "var"),
               "COLLECTIONS_POLICY_DIR": str(self.folder / "policies")}  # fmt: skip
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        self.workers.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        worker.send_signal(signal.SIGKILL)  # no shutdown at all: activities die mid-flight
        worker.wait()

    def start_server(self) -> None:
        self.server = start_dev_server(self.port, self.folder / "temporal.db")

    def sent(self) -> list[dict]:
        outbox = self.folder / "var" / "outbox"
        return FileChannel(outbox).records() if (outbox / "outbox.jsonl").exists() else []


@contextlib.asynccontextmanager
async def running(folder: Path, workers: int = 1, database_url: str | None = None) -> AsyncIterator[Stack]:
    (folder / "policies").mkdir()
    bench_book(folder / "policies", DAY_SECONDS, letters=False)
    port = free_port()
    stack = Stack(folder, port, start_dev_server(port, folder / "temporal.db"), database_url)
    await until_up(stack.address)
    for _ in range(workers):
        stack.start_worker()
    try:
        yield stack
    finally:
        for worker in stack.workers:
            worker.kill()
            worker.wait()
        stop(stack.server)


@pytest_asyncio.fixture(loop_scope="session")
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with running(tmp_path) as stack:
        yield stack


async def client_of(stack: Stack) -> Client:
    return await Client.connect(stack.address, data_converter=pydantic_data_converter)


async def open_accounts(stack: Stack) -> list[str]:
    now = datetime.now(UTC)
    accounts = [f"DRILL-{i:03d}" for i in range(ACCOUNTS)]
    lines = read_lines(overdue_line(account_id=a, event_id=f"evt-{a}", occurred_at=now, timezone="UTC")
                       for a in accounts)  # fmt: skip
    result = await ingest(await client_of(stack), lines, PolicyBook(stack.folder / "policies"))
    assert result.count("started") == ACCOUNTS, result.summary()
    return accounts


async def until(check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        await asyncio.sleep(0.25)


def expected_steps() -> list[str]:
    """The ladder's steps an account entering one day past due meets: none before the due date (rules 4), no letter."""
    letters = ("send_demand_letter", "send_final_notice", "issue_lawyer_letter")
    ladder = PolicyBook(Path(ROOT / "policies")).for_segment("standard").steps
    return [s.key for s in ladder if s.day >= 1 and s.action.value not in letters]


async def check_afterwards(stack: Stack, accounts: list[str]) -> str:
    """Every account through the ladder to the handoff, each message the workflow recorded as sent in the outbox
    exactly once and nothing else there, no outbox row left pending. The faults delay the ladder, and a late ladder
    rightly leaves steps out (rules 4: a step superseded by a newer one of its kind; a visit or call waiting for its
    window when the handoff comes): those are counted in the figures, not expected. Returns the figures."""
    steps = expected_steps()
    store = Store.open(stack.store_url)
    await until(lambda: len(store.cases()) >= ACCOUNTS, 240)
    cases = {case.account_id for case in store.cases()}
    stuck = sorted(set(accounts) - cases)
    sent = stack.sent()
    keys = collections.Counter(record["idempotency_key"] for record in sent)
    duplicates = {key: n for key, n in keys.items() if n > 1}
    by_account = collections.defaultdict(set)
    for record in sent:
        by_account[record["account_id"]].add(record["step"])
    pending = [m.idempotency_key for a in accounts for m in store.messages(a) if m.status != "sent"]
    client = await client_of(stack)
    inconsistent, missing, superseded_total = [], dict[str, int](), 0
    for account in accounts:
        status = await client.get_workflow_handle(workflow_id(account)).query(
            STATUS, datetime.now(UTC), result_type=AccountStatus
        )
        done = {h.step for h in status.history if h.kind == "action"}
        superseded = {h.step for h in status.history if h.kind == "skipped" and "superseded by" in (h.detail or "")}
        superseded_total += len(superseded & set(steps) - done)
        if status.stage != "with_legal" or done & set(steps) != by_account[account] & set(steps):
            odd = [h.detail for h in status.history if h.kind in ("failed", "skipped")]
            inconsistent.append((account, status.stage, sorted(done ^ by_account[account]), odd))
        missing[account] = len(set(steps) - done - superseded)
        await client.get_workflow_handle(workflow_id(account)).terminate("drill over")
    store.close()
    figures = (f"{ACCOUNTS} accounts, {ACCOUNTS * len(steps)} ladder steps, {len(keys)} messages sent, "
               f"{superseded_total} steps superseded, {sum(missing.values())} left out otherwise, "
               f"{sum(n - 1 for n in duplicates.values())} duplicates, "
               f"{len(stuck)} stuck")  # fmt: skip
    print(f"\ndrill: {figures}")
    assert not inconsistent, f"{figures}; status disagrees with the outbox: {inconsistent[:3]}"
    assert not stuck, f"{figures}; never handed over: {stuck[:5]}"
    assert not duplicates, f"{figures}; sent twice: {list(duplicates)[:5]}"
    assert not pending, f"{figures}; outbox rows not sent: {pending[:5]}"
    return figures


async def test_worker_killed_mid_ladder_then_restarted(stack: Stack) -> None:
    accounts = await open_accounts(stack)
    await until(lambda: len(stack.sent()) >= ACCOUNTS * 3, 60)  # a few days into every ladder
    stack.kill(stack.workers[0])
    killed_at = len(stack.sent())
    await asyncio.sleep(3)  # the ladder's clock runs on while nobody works: 12 days
    stack.start_worker()
    figures = await check_afterwards(stack, accounts)
    assert 0 < killed_at < len(stack.sent()), f"the kill came at {killed_at} messages: {figures}"


async def test_one_of_two_workers_on_postgresql_killed_mid_ladder(tmp_path: Path) -> None:
    """Two worker processes on one task queue and one PostgreSQL store: both pick up the same accounts' tasks, and
    retries of the killed one's activities land on the other, against the outbox rows it left pending."""
    with postgres_server() as database_url:
        async with running(tmp_path, workers=2, database_url=database_url) as stack:
            accounts = await open_accounts(stack)
            await until(lambda: len(stack.sent()) >= ACCOUNTS * 3, 60)
            stack.kill(stack.workers[0])
            killed_at = len(stack.sent())
            figures = await check_afterwards(stack, accounts)  # the survivor alone, from then on
    assert 0 < killed_at < len(stack.sent()), f"the kill came at {killed_at} messages: {figures}"


async def test_server_stopped_and_restarted_mid_ladder(stack: Stack) -> None:
    accounts = await open_accounts(stack)
    await until(lambda: len(stack.sent()) >= ACCOUNTS * 3, 60)
    stop(stack.server)  # the worker's polls and completions fail until it is back
    stopped_at = len(stack.sent())
    await asyncio.sleep(3)
    stack.start_server()  # the same SQLite file, the same port
    await until_up(stack.address)
    figures = await check_afterwards(stack, accounts)
    assert 0 < stopped_at < len(stack.sent()), f"the stop came at {stopped_at} messages: {figures}"
