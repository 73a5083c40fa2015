"""Ladder benchmark: N accounts through the whole standard ladder (13 actions from the day-1 SMS to the
litigation handoff: rendering, the store's outbox and contact log, the file channel, three PDF letters) with the
real worker, against bare workflows that run the same number of timers and no-op activities at the same offsets.
Each on a fresh dev server of the same storage mode. Targets: ratio at least 0.77 with letters, 0.9 without.
The worker runs in this process, or as `--worker-processes N` processes on one task queue (with `--store
postgresql`, the store a department with several workers has).

Printed per account: CPU of this process (the worker, when it runs here; the client starting accounts), of the
worker processes, of the dev server, and the account's history events. Under load a step overtaken by a newer due
one of the same kind is skipped ("superseded"), as in production: ours then does fewer actions than the baseline,
and the actions per account say how many.

The policy is the standard one with three changes, so that the figure is throughput: days compressed
(`--day-seconds`); no approval gates (nobody approves in a benchmark); every stage starting on day 1, so that an
account the worker reaches late still takes every step, late, instead of skipping a stage that is over (what the
real ladder rightly does, and what would make a saturated run do less work)."""

import argparse
import asyncio
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, func, select
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.worker import Worker

from bench.baseline import BARE_LADDER, BareLadder, gather_limited, noop
from bench.common import CpuMeter, CpuShares, DevServer, Timer, dev_server, report, storages
from domain.commands import ConfirmLawyerLetter
from domain.policy import DEFAULT_POLICY_DIR
from domain.policy_book import PolicyBook
from edge.ingest import submit
from settings import EXAMPLE_CREDITORS, ROOT
from store.models import LegalCase, Message, Task
from store.repository import Store
from tests.factories import overdue
from tests.postgres import postgres_server
from worker import build_worker
from workflows import CONFIRM_LAWYER_LETTER, workflow_id

STARTS_IN_FLIGHT = 64


LETTERS = ("send_demand_letter", "send_final_notice", "issue_lawyer_letter")


def bench_book(folder: Path, day_seconds: float, letters: bool) -> PolicyBook:
    """The standard policy with compressed days, no approval gates, no escalation of overdue tasks and stages all
    from day 1 (and without its three letters if asked) and no limitation period, alone in its folder."""
    text = re.sub(r"from_day = \d+", "from_day = 1", (DEFAULT_POLICY_DIR / "standard.toml").read_text())
    text = text.replace("\nversion = 1\n", f"\nversion = 1\nday_seconds = {day_seconds}\n", 1)
    text = text.replace("needs_approval = true", "needs_approval = false")
    # Nobody works the tasks in a benchmark or a drill: no notices of overdue work up the chain either.
    escalation = 'escalation = ["supervisor", "manager", "general_manager"]'
    assert escalation in text, "standard.toml's [work] escalation changed: update bench_book"
    text = text.replace(escalation, "escalation = []")
    # Compressed days add up fast under load (a lagging run reaches "day 1500"): no statute of limitations here.
    text += "\n[limitation]\nyears = 1000\n"
    if not letters:  # the steps, and what the remaining steps say about coming after them
        text = "\n".join(line for line in text.splitlines() if not any(f'action = "{a}"' in line for a in LETTERS))
        text = re.sub(r', after = "[^"]*", after_days = \d+', "", text)
    (folder / "standard.toml").write_text(text)
    return PolicyBook(folder)


@dataclass
class Run:
    accounts: int
    actions: int
    seconds: float
    cpu: CpuShares
    history_events: int  # of every account's workflow, at the end

    def rates(self) -> str:
        return f"{self.accounts / self.seconds:,.1f} accounts/s, {self.actions / self.seconds:,.0f} actions/s"

    def per_account(self) -> str:
        n, cpu = self.accounts, self.cpu
        ms = {name: f"{seconds / n * 1000:,.0f} ms" for name, seconds in vars(cpu).items()}
        return (f"this process {ms['worker']}, worker processes {ms['others']}, server {ms['server']} CPU; "
                f"{self.history_events / n:,.1f} history events")  # fmt: skip


async def history_events(client: Client, workflow_ids: list[str]) -> int:
    """The history length of each workflow (describe: visibility's figure lags for running workflows), summed."""
    described = await gather_limited([client.get_workflow_handle(i).describe() for i in workflow_ids],
                                     STARTS_IN_FLIGHT)  # fmt: skip
    return sum(d.raw_description.workflow_execution_info.history_length for d in described)


async def law_firm(client: Client, store: Store, issued: set[str]) -> None:
    """The creditor's law firm: every draft lawyer's letter sent to it so far is issued (as a firm answers through
    legal, `confirm_lawyer_letter`), once each. Without it the ladder waits for the firm, as it should."""
    with Session(store.engine) as session:
        drafts = session.exec(select(Task).where(Task.kind == "lawyer_letter_draft")).all()
    for draft in [d for d in drafts if d.idempotency_key not in issued and d.step]:
        step = str(draft.step).removeprefix("firm-draft-")
        answer = ConfirmLawyerLetter(command_id=f"firm-{step}", by="legal", step=step, answer="issued", lawyer="王律师",
                                     licence="13101200010000001", issued_on=datetime.now(UTC).date())  # fmt: skip
        handle = client.get_workflow_handle(workflow_id(draft.account_id))
        try:
            await handle.execute_update(CONFIRM_LAWYER_LETTER, answer)
        except WorkflowUpdateFailedError:
            continue  # the draft's task is written before the account has recorded the step: answered next time
        issued.add(draft.idempotency_key)


def counts(store: Store) -> tuple[int, int]:
    """Legal cases opened (accounts through the ladder) and actions done (each leaves one outbox row)."""
    with Session(store.engine) as session:
        cases = session.exec(select(func.count()).select_from(LegalCase)).one()
        done = session.exec(select(func.count()).select_from(Message).where(Message.status == "sent")).one()
    return cases, done


@contextlib.asynccontextmanager
async def workers(client: Client, server: DevServer, root: Path, processes: int, url: str) -> AsyncIterator[None]:
    """No process: the worker in this one (`build_worker`). Else that many `python worker.py` processes on the dev
    server's default task queue, sharing the var folder (the file channel) and the store at `url`."""
    if not processes:
        async with build_worker(client, root / "var" / "outbox", database_url=url):
            yield
        return
    env = {**os.environ, "TEMPORAL_ADDRESS": server.address, "COLLECTIONS_VAR_DIR": str(root / "var"),
           "COLLECTIONS_POLICY_DIR": str(root / "policies"), "DATABASE_URL": url,
           "COLLECTIONS_CREDITOR_DIR": str(EXAMPLE_CREDITORS)}  # fmt: skip
    command = [sys.executable, str(ROOT / "worker.py")]
    logs = [root / f"worker-{n}.log" for n in range(processes)]  # a file, not a pipe nobody reads once it is full
    started = []
    for log in logs:
        with log.open("w") as output:  # the process has its own copy of the file
            started.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT))
    try:
        for process, log in zip(started, logs, strict=True):  # polling once it says so
            while "worker polling" not in log.read_text():
                assert process.poll() is None, f"a worker process ended before it polled: {log.read_text()[-2000:]}"
                await asyncio.sleep(0.2)
        yield
    finally:
        for process in started:
            process.terminate()
            process.wait()


async def ours(
    storage: str, n: int, day_seconds: float, letters: bool, timeout: float, processes: int = 0, url: str = ""
) -> Run:
    with tempfile.TemporaryDirectory(prefix="bench-ladder-") as folder:
        root = Path(folder)
        (root / "policies").mkdir()
        book = bench_book(root / "policies", day_seconds, letters)
        url = url or f"sqlite:///{root / 'var' / 'collections.db'}"
        async with dev_server(storage) as server:
            client = await server.client()
            now = datetime.now(UTC)
            events = [overdue(account_id=f"LAD-{i:05d}", occurred_at=now, timezone="UTC") for i in range(n)]
            async with workers(client, server, root, processes, url):
                store = Store.open(url)
                with Timer() as timer, CpuMeter(server.process.pid) as cpu:
                    await gather_limited([submit(client, e, book) for e in events], STARTS_IN_FLIGHT)
                    deadline, issued = time.monotonic() + timeout, set[str]()
                    while counts(store)[0] < n and time.monotonic() < deadline:
                        await law_firm(client, store, issued)
                        await asyncio.sleep(0.5)
                cases, sent = counts(store)
                events_total = await history_events(client, [workflow_id(e.account_id) for e in events])
                store.close()
    assert cases == n, f"only {cases} of {n} accounts reached the litigation handoff within {timeout:.0f} s"
    return Run(n, sent, timer.seconds, cpu.shares, events_total)


async def bare(storage: str, n: int, day_seconds: float, steps: list[int]) -> Run:
    offsets = [(day - steps[0]) * day_seconds for day in steps]
    async with dev_server(storage) as server:
        client = await server.client()
        worker = Worker(client, task_queue="bench-bare", workflows=[BareLadder], activities=[noop],
                        activity_executor=ThreadPoolExecutor(max_workers=16))  # fmt: skip
        async with worker:
            with Timer() as timer, CpuMeter(server.process.pid) as cpu:
                handles = await gather_limited(
                    [client.start_workflow(BARE_LADDER, offsets, id=f"bare-{i:05d}", task_queue="bench-bare")
                     for i in range(n)], STARTS_IN_FLIGHT)  # fmt: skip
                done = await asyncio.gather(*(handle.result() for handle in handles))
            events_total = await history_events(client, [handle.id for handle in handles])
    assert sum(done) == n * len(steps)
    return Run(n, sum(done), timer.seconds, cpu.shares, events_total)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1000, help="accounts (default 1,000)")
    parser.add_argument("--day-seconds", type=float, default=0.1, help="one ladder day, in seconds (default 0.1)")
    parser.add_argument("--storage", choices=["sqlite", "memory", "both"], default="both")
    parser.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds")
    parser.add_argument("--without-letters", action="store_true",
                        help="leave out the three letters (the same ladder without its PDFs)")  # fmt: skip
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=0,
        metavar="N",
        help="N `python worker.py` processes on one task queue instead of the worker in this process",
    )
    parser.add_argument(
        "--store",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="our store: a SQLite file, or a throwaway PostgreSQL server as the tests start it",
    )
    args = parser.parse_args()
    letters = not args.without_letters
    # Our accounts enter one day past due: the steps before the due date are not theirs (rules 4), nor the baseline's.
    steps = [s.day for s in PolicyBook().for_segment("standard").steps
             if s.day >= 1 and (letters or s.action.value not in LETTERS)]  # fmt: skip
    floor = timedelta(seconds=(steps[-1] - steps[0]) * args.day_seconds).total_seconds()
    rows, ratios = [("ladder", f"{len(steps)} actions over days {steps[0]}-{steps[-1]}: at least {floor:.1f} s")], []
    for storage in storages(args.storage):
        baseline = await bare(storage, args.accounts, args.day_seconds, steps)
        with postgres_server() if args.store == "postgresql" else contextlib.nullcontext("") as url:
            run = await ours(storage, args.accounts, args.day_seconds, letters, args.timeout,
                             args.worker_processes, url)  # fmt: skip
        rows += [
            (f"[{storage}] bare timers + no-op activities (baseline)", baseline.rates()),
            ("    per account", baseline.per_account()),
            (f"[{storage}] collection workflows", f"{run.rates()} ({run.actions // run.accounts} per account)"),
            ("    per account", run.per_account()),
        ]
        target = "target >= 0.77" if letters else "target >= 0.9"
        ratios.append((f"[{storage}] ours / bare (accounts/s)", baseline.seconds / run.seconds, target))
    what = "with its 3 PDF letters" if letters else "without letters"
    where = f"{args.worker_processes} worker processes" if args.worker_processes else "the worker in this process"
    title = f"ladder {what}: {args.accounts:,} accounts, a day is {args.day_seconds} s, {where}, {args.store} store"
    report(title, rows, ratios)


if __name__ == "__main__":
    asyncio.run(main())
