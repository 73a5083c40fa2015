"""`collections staff` end to end, as an admin and the staff use it: people added, a key printed once, commands given
with it in COLLECTIONS_KEY (the account's history names its person), the key revoked and refused, a person
deactivated; against a real dev server and worker. The installed `collections` runs as a process for the first
steps (3 s a start: the rest run the same commands in this process, through each command line's `main`)."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

import legal
import staff
import starter
from domain.policy_book import PolicyBook
from edge.ingest import submit
from store.models import LegalCase
from store.repository import Store
from tests.factories import overdue
from tests.test_cli_commands import terminate
from tests.test_collections_cli import collections
from worker import build_worker

pytestmark = pytest.mark.integration

NO_KEY = ("COLLECTIONS_KEY is not set: commands are given in a person's name; ask an admin for your key "
          "(`collections staff key USERNAME`) and set COLLECTIONS_KEY to it\n")  # fmt: skip
UNKNOWN = "COLLECTIONS_KEY is not a known key (mistyped, revoked, or its person deactivated)"


@pytest.fixture
def env(dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What the commands share, in processes and in this one: the dev server, a task queue of the test's own, the
    staff register's database; no key."""
    values = {
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "COLLECTIONS_TASK_QUEUE": f"tq-staff-{uuid.uuid4()}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store' / 'collections.db'}",
        "COLLECTIONS_KEY": "",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@dataclass
class Shell:
    """`collections ARGS` run in this process, as the holder of a key: the exit code, standard output and error."""

    client: Client
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    async def __call__(self, *argv: str, key: str = "") -> tuple[int, str, str]:
        self.monkeypatch.setenv("COLLECTIONS_KEY", key)
        self.capsys.readouterr()
        if argv[0] == "staff":
            code = await staff.main(list(argv[1:]))
        elif argv[0] == "legal":
            code = await legal.main(list(argv[1:]), client=self.client)
        else:
            code = await starter.main(list(argv), client=self.client)
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def shell(
    dev_env: WorkflowEnvironment,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Shell:
    return Shell(dev_env.client, capsys, monkeypatch)


@pytest_asyncio.fixture
async def account(dev_env: WorkflowEnvironment, env: dict[str, str], tmp_path: Path) -> AsyncIterator[str]:
    """A fresh account owing 12000.00 CNY, one day past due, with a worker on the test's queue."""
    account = f"STAFF-{uuid.uuid4().hex[:8]}"
    queue = env["COLLECTIONS_TASK_QUEUE"]
    async with build_worker(dev_env.client, tmp_path / "outbox", task_queue=queue):
        event = overdue(account_id=account, occurred_at=datetime.now(UTC))
        assert await submit(dev_env.client, event, PolicyBook(), task_queue=queue) == "started"
        yield account
        await terminate(dev_env.client, account)


async def process(env: dict[str, str], *args: str, key: str = "") -> tuple[int, str, str]:
    """`collections ARGS` as a process (off the event loop, where the worker runs), as the holder of `key`."""
    done = await asyncio.to_thread(collections, *args, env=env | {"COLLECTIONS_KEY": key})
    return done.returncode, done.stdout, done.stderr


async def test_from_the_first_person_to_a_revoked_key(env: dict[str, str], shell: Shell, account: str) -> None:
    added = await process(env, "staff", "add", "li.na", "--name", "Li Na", "--role", "collector", "--team", "east-1")
    assert added == (
        0, "added li.na (Li Na): collector, team east-1; give them a key with `collections staff key li.na`\n", "",
    )  # fmt: skip
    code, key, note = await process(env, "staff", "key", "li.na")
    key = key.strip()
    key_id = key.split("_")[1]
    assert code == 0 and key.startswith("ck_")
    assert f"key {key_id} for li.na: shown this once, it will not be shown again" in note
    promised = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=5)).date().isoformat()
    promise = ("promise", account, "--amount", "5000.00", "--currency", "CNY", "--date", promised)
    code, out, err = await process(env, *promise, key=key)
    assert code == 0, err
    assert f"5000.00 CNY by {promised} (open, taken by li.na)" in out

    assert await shell("staff", "add", "li.na", "--name", "Another", "--role", "admin") == (
        2, "", "rejected: staff li.na already exists\n",
    )  # fmt: skip
    code, _, err = await shell("staff", "add", "wang.fang", "--name", "W", "--role", "collector", "--level", "manager")
    assert code == 2 and "only leads (supervisor, manager, general_manager) hold an approval level" in err
    assert (await shell("staff", "add", "x", "--name", "X", "--role", "boss"))[0] == 2  # a usage error
    assert await shell("staff", "key", "nobody") == (1, "", "no staff nobody\n")

    code, listed, _ = await shell("staff", "list", "--json")
    [person] = json.loads(listed)
    assert (person["username"], person["role"], person["team"], person["keys"]) == ("li.na", "collector", "east-1",
                                                                                     [key_id])  # fmt: skip
    assert key.split("_", 2)[2] not in listed + (await shell("staff", "list"))[1]

    assert await shell(*promise) == (2, "", NO_KEY)
    assert await shell("write-off", account, "--reason", "uneconomic", key=key) == (
        2, "", "write-off needs the supervisor, manager or general_manager role; COLLECTIONS_KEY is li.na's, a "
               "collector\n",
    )  # fmt: skip

    code, out, _ = await shell("staff", "revoke", key_id)
    assert code == 0 and out.startswith(f"key {key_id} of li.na revoked at ")
    code, _, err = await shell(*promise, key=key)
    assert code == 2 and err.startswith(UNKNOWN)
    assert (await shell("staff", "revoke", "nope"))[0] == 1

    second = (await shell("staff", "key", "li.na"))[1].strip()
    assert await shell("staff", "deactivate", "li.na") == (0, "li.na deactivated: their keys no longer work\n", "")
    assert (await shell("status", account))[0] == 0  # reading needs no key
    code, _, err = await shell("dispute", account, "--reason", "damaged", key=second)
    assert code == 2 and err.startswith(UNKNOWN)


async def test_the_legal_inbox_acts_as_the_keys_lawyer(env: dict[str, str], shell: Shell) -> None:
    store = Store.open(env["DATABASE_URL"])
    try:
        store.add_staff("zhou.lawyer", "Lawyer Zhou", "legal")
        store.add_staff("li.na", "Li Na", "collector")
        lawyer, collector = store.issue_key("zhou.lawyer"), store.issue_key("li.na")
        store.open_case(LegalCase(case_id="CASE-1", account_id="GONE-1", workflow_id="collection-GONE-1",
                                  opened_at=datetime.now(UTC), reason="day 105", package="{}"))  # fmt: skip
    finally:
        store.close()

    assert await shell("legal", "accept", "CASE-1", key=collector) == (
        2, "", "accept needs the legal role; COLLECTIONS_KEY is li.na's, a collector\n",
    )  # fmt: skip
    assert (await shell("legal", "accept", "CASE-1"))[2] == NO_KEY
    assert await shell("legal", "accept", "CASE-1", key=lawyer) == (0, "CASE-1 accepted by zhou.lawyer\n", "")
    code, _, err = await shell("legal", "outcome", "CASE-1", "--outcome", "settled", key=lawyer)
    assert code == 0, err  # the account's workflow is gone: nothing left to tell
    store = Store.open(env["DATABASE_URL"])
    try:
        case = store.case("CASE-1")
        assert case is not None and (case.accepted_by, case.outcome_by, case.outcome) == (
            "zhou.lawyer", "zhou.lawyer", "settled",
        )  # fmt: skip
    finally:
        store.close()
