"""`collections tasks` and `collections task ...`: the work queue on the command line, against a real dev server and
worker. The worker writes its tasks in its own store (the outbox folder's collections.db), so the staff register is
put there too and DATABASE_URL points at it, as one database serves both in a deployment.

A collector's day: the d035 call task of an account 35 days past due reaches her queue, she claims it, a colleague
cannot, the workflow refuses a promise above the balance, she records the call with a promise, and the account and
the queue both show it; her supervisor sees it done, she may not look at everybody's queue."""

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import starter
import tasks
from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from edge.ingest import submit
from settings import Settings, sqlite_url
from store import queue
from store.models import Task
from store.repository import Store
from tests.api.conftest import standard_with_only
from tests.factories import overdue
from tests.staff import hire, hire_everyone
from tests.test_cli_commands import terminate
from tests.test_collections_cli import collections
from worker import build_worker

pytestmark = pytest.mark.integration

CALL_STEP = "d035-create_call_task"


def daytime_zone() -> str:
    """A zone where it is about noon now: calls are allowed there whatever the hour of the test run."""
    offset = max(-12, min(14, 12 - datetime.now(UTC).hour))  # local = UTC + offset
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # Etc/GMT-8 is UTC+8


@dataclass
class Desk:
    """The command lines in this process, as the holder of a role's key (`wu.bo`: a second collector)."""

    client: Client
    url: str
    queue: str
    keys: dict[str, str]
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    policies: PolicyBook
    opened: list[str] = field(default_factory=list)

    async def __call__(self, role: str, *argv: str) -> tuple[int, str, str]:
        self.monkeypatch.setenv("COLLECTIONS_KEY", self.keys[role])
        self.capsys.readouterr()
        if argv[0] in ("tasks", "task"):
            code = await tasks.main(["list", *argv[1:]] if argv[0] == "tasks" else list(argv[1:]), client=self.client)
        else:
            code = await starter.main(list(argv), client=self.client)
        out, err = self.capsys.readouterr()
        return code, out, err

    async def open_account(self, amount: str) -> str:
        """An account `amount` CNY 35 days past due, in a zone where it is daytime: the collector's call of day 35
        is given at once."""
        account = f"TASK-{uuid.uuid4().hex[:8]}"
        zone = daytime_zone()
        due = datetime.now(ZoneInfo(zone)).date() - timedelta(days=35)
        event = overdue(account_id=account, occurred_at=datetime.now(UTC), due_date=due, timezone=zone, amount=amount)
        self.opened.append(account)
        assert await submit(self.client, event, self.policies, task_queue=self.queue) == "started"
        return account

    async def call_task(self, account: str, role: str = "supervisor", *scope: str) -> dict:
        """The account's call task in `role`'s queue, once the worker has written it."""
        deadline = time.monotonic() + 90
        while True:
            code, out, err = await self(role, "tasks", *scope, "--account", account, "--json")
            assert code == 0, err
            found = [t for t in json.loads(out)["tasks"] if t["step"] == CALL_STEP]
            if found or time.monotonic() > deadline:
                assert found, f"no {CALL_STEP} task for {account} in {role}'s queue"
                return found[0]
            await asyncio.sleep(0.5)

    def row(self, task_id: int):
        store = Store.open(self.url)
        try:
            return queue.task(store, task_id)
        finally:
            store.close()


@pytest_asyncio.fixture
async def desk(
    dev_env: WorkflowEnvironment, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Desk]:
    """The worker on a task queue of the test's own; its store holds the staff: one person of each role, and a second
    collector, wu.bo (after li.na by name: the first account's task goes to li.na, the least loaded). The standard
    policy's call task alone: a late entrant would get the demand letter first, and its 14 days cannot pass."""
    standard_with_only(monkeypatch, tmp_path / "policies", "create_call_task")
    name = f"tq-tasks-{uuid.uuid4()}"
    monkeypatch.setenv("COLLECTIONS_TASK_QUEUE", name)
    outbox = tmp_path / "outbox"
    worker = build_worker(dev_env.client, outbox, task_queue=name)  # migrates its store
    url = sqlite_url(outbox)
    monkeypatch.setenv("DATABASE_URL", url)
    store = Store.open(url)
    try:
        keys = hire_everyone(store) | {"wu.bo": hire(store, "collector", "wu.bo", name="Wu Bo")}
    finally:
        store.close()
    desk = Desk(dev_env.client, url, name, keys, capsys, monkeypatch, PolicyBook(tmp_path / "policies"))
    async with worker:
        try:
            yield desk
        finally:
            for account in desk.opened:
                await terminate(dev_env.client, account)


async def test_a_collectors_day_in_the_work_queue(desk: Desk) -> None:
    account = await desk.open_account("8000.00")
    task = await desk.call_task(account, "collector")  # her own queue: she holds it (the least loaded collector)
    task_id = str(task["id"])
    assert (task["kind"], task["pool"], task["assignee"], task["sla"]) == ("collector_call", "collector", "li.na",
                                                                           "on_time")  # fmt: skip
    assert task["priority"] == pytest.approx(8000 * (1 + 35 / 30))

    # Her queue as she sees it in a terminal: `collections` itself, as a process.
    key = {"COLLECTIONS_KEY": desk.keys["collector"]}
    listed = await asyncio.to_thread(collections, "tasks", "--account", account, env=key)
    assert listed.returncode == 0, listed.stderr
    header, _, *rows, total = listed.stdout.splitlines()
    assert header.split() == ["id", "priority", "kind", "account", "due", "(UTC)", "SLA", "holder"]
    assert re.fullmatch(rf"\s*{task_id}\s+17333\s+collector_call\s+{account}\s+\S+ \S+\s+on_time\s+\S+", rows[0])
    assert total == f"{len(rows)} task(s)"

    code, out, err = await desk("collector", "task", "claim", task_id)
    assert code == 0, err
    assert out.startswith(f"task {task_id} claimed by li.na: collector_call on {account} ({CALL_STEP}), due ")
    held = f"rejected: task {task_id} is held by li.na: a lead may reassign it\n"
    assert await desk("wu.bo", "task", "claim", task_id) == (2, "", held)
    assert await desk("wu.bo", "task", "done", task_id, "--call", "reached") == (2, "", held)
    code, out, _ = await desk("collector", "task", "show", task_id)
    assert code == 0 and "  holder     li.na\n" in out and "  instructions\n" in out

    promised = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    code, out, err = await desk("collector", "task", "done", task_id, "--call", "reached",
                                "--promise", f"99999.00:CNY:{promised}")  # fmt: skip
    assert (code, out) == (2, "") and err.startswith("rejected: ") and "more than the balance" in err, err
    code, _, err = await desk("collector", "task", "done", task_id, "--call", "reached", "--promise", "8000.00")
    assert (code, err) == (2, "rejected: promise '8000.00': expected AMOUNT:CURRENCY:DATE such as "
                              "5000.00:CNY:2026-12-20\n")  # fmt: skip
    code, _, err = await desk("collector", "task", "done", task_id, "--call", "reached", "--approve")
    assert code == 2 and "one way of completing a task at a time: --call/--visit and --approve/--reject" in err

    code, out, err = await desk("collector", "task", "done", task_id, "--call", "reached", "--minutes", "5",
                                "--notes", "pays on the 20th", "--promise", f"8000.00:CNY:{promised}")  # fmt: skip
    assert code == 0, err
    done = re.match(rf"task {task_id} done \(id (cli-[0-9a-f]{{12}})\): call reached \(by li.na\)\n", out)
    assert done, out
    assert f"promise      {done[1]}.agreed: 8000.00 CNY by {promised} (open, taken by li.na)" in out

    code, out, err = await desk("collector", "status", account, "--json")
    assert code == 0, err
    status = json.loads(out)
    assert [(p["amount"], p["taken_by"]) for p in status["promises"]] == [("8000.00", "li.na")]
    assert [(c["channel"], c["result"], c["by"]) for c in status["contacts"]] == [("call", "reached", "li.na")]
    row = desk.row(task["id"])
    assert (row.state, row.closed_by, row.outcome) == ("done", "li.na", "call reached (by li.na)")
    code, _, err = await desk("collector", "task", "done", task_id, "--call", "reached")
    assert (code, err) == (2, f"rejected: task {task_id} is already done (call reached (by li.na))\n")

    code, out, err = await desk("supervisor", "tasks", "--scope", "all", "--state", "done", "--json")
    assert code == 0, err
    [seen] = [t for t in json.loads(out)["tasks"] if t["id"] == task["id"]]
    assert (seen["state"], seen["sla"], seen["closed_by"], seen["assignee"]) == ("done", "closed", "li.na", "li.na")
    assert await desk("collector", "tasks", "--scope", "all") == (
        2, "", "rejected: --scope all is for leads (supervisor, manager, general_manager); COLLECTIONS_KEY is "
               "li.na's, a collector\n",
    )  # fmt: skip
    code, _, err = await desk("collector", "task", "reassign", task_id, "--to", "wu.bo")
    assert (code, err) == (2, "task reassign needs the supervisor, manager or general_manager role; COLLECTIONS_KEY is "
                              "li.na's, a collector\n")  # fmt: skip
    assert await desk("collector", "task", "show", "999999") == (1, "", "no task 999999\n")


async def test_a_lead_reassigns_and_an_account_command_closes_the_task_it_did(desk: Desk) -> None:
    """`task reassign`, and the sync after an account command (starter.py): a call recorded on the account page's
    command, `record-contact --task`, closes its task in the queue too."""
    account = await desk.open_account("6000.00")
    task = await desk.call_task(account, "supervisor", "--scope", "all")
    task_id = str(task["id"])
    code, _, err = await desk("supervisor", "task", "reassign", task_id, "--to", "chen.jie")
    assert (code, err) == (2, "rejected: chen.jie is not an active person who works collector tasks\n")
    code, out, err = await desk("supervisor", "task", "reassign", task_id, "--to", "wu.bo")
    assert code == 0 and out.startswith(f"task {task_id} reassigned to wu.bo by wang.fang: "), err
    assert desk.row(task["id"]).assignee == "wu.bo"

    code, out, err = await desk("wu.bo", "record-contact", account, "--channel", "call", "--result", "no_answer",
                                "--task", CALL_STEP)  # fmt: skip
    assert code == 0, err
    assert err == ""  # the sync said nothing: it worked
    row = desk.row(task["id"])
    assert (row.state, row.closed_by, row.outcome) == ("done", "wu.bo", "call no_answer (by wu.bo)")
    code, out, _ = await desk("wu.bo", "tasks", "--state", "done", "--account", account)
    assert code == 0 and re.search(rf"^\s*{task_id}\s+\d+\s+collector_call\s+{account}\s.*closed\s+wu.bo$", out, re.M)


async def test_the_queue_refuses_without_a_key_and_says_when_the_database_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'collections.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("COLLECTIONS_KEY", "")
    assert await tasks.main(["list"]) == 2
    assert capsys.readouterr().err.startswith("COLLECTIONS_KEY is not set")
    monkeypatch.setenv("COLLECTIONS_KEY", "dev-supervisor")  # a machine key of the development keys: a lead
    monkeypatch.delenv("COLLECTIONS_API_KEYS", raising=False)
    assert await tasks.main(["list", "--scope", "team"]) == 0
    assert capsys.readouterr().out == "0 task(s)\n"
    assert await tasks.main(["list", "--cursor", "nonsense"]) == 2
    assert capsys.readouterr().err == "rejected: cursor: not one this server gave\n"
    # A notice (an overdue task told up the chain) only closes: no Temporal is needed, and none is reached here.
    store = Store.open(url)
    try:
        notice = store.create_task(Task(idempotency_key="k-1", account_id="ACC-9", kind="overdue_task",
                                        assignee_role="supervisor", summary="d035 call overdue", step="overdue-1",
                                        state="open", created_at=datetime.now(UTC)))  # fmt: skip
    finally:
        store.close()
    assert await tasks.main(["done", str(notice.id), "--outcome", "spoke to li.na"]) == 0
    assert capsys.readouterr().out == f"task {notice.id} done: spoke to li.na\n"
    assert await tasks.main(["done", str(notice.id)]) == 2
    assert capsys.readouterr().err == f"rejected: task {notice.id} is already done (spoke to li.na)\n"

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")  # refused
    assert await tasks.main(["list"]) == 1
    assert capsys.readouterr().err.startswith("the staff register cannot be read: ")
    # An account command that applied is not failed by the store it then cannot reach to close the tasks it did.
    starter.close_done_tasks(Settings.from_env(), cast(AccountStatus, None), "wang.fang")
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("the work queue was not updated: ")


def test_the_queue_commands_are_under_collections() -> None:
    answer = collections("task", "--help")
    assert answer.returncode == 0, answer.stderr
    assert all(f"\n  {name} " in answer.stdout for name in ("show", "claim", "release", "reassign", "done"))
    assert "--scope [mine|team|all]" in collections("tasks", "--help").stdout
