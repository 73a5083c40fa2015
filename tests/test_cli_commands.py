"""The operator commands of `starter.py` (promise, plan, pause, ..., bankruptcy) on a real dev server and worker,
given by the holders of staff keys (COLLECTIONS_KEY): a supervisor's unless a test acts as another role."""

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

import edge.client
import starter
from domain.policy_book import PolicyBook
from edge.ingest import submit
from tests.factories import overdue
from tests.staff import staff_register
from worker import build_worker
from workflows import workflow_id

pytestmark = pytest.mark.integration

DEBTOR_ZONE = ZoneInfo("Asia/Shanghai")  # the factories' debtor: the account's calendar is this one's


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"tq-cli-{uuid.uuid4()}"
    monkeypatch.setenv("COLLECTIONS_TASK_QUEUE", name)
    return name


@pytest.fixture(autouse=True)
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The command lines' staff register (DATABASE_URL: not the worker's store, which the worker keeps in its outbox
    folder), with one person of each role; COLLECTIONS_KEY is the supervisor's. Their keys by role."""
    url = f"sqlite:///{tmp_path / 'staff' / 'collections.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    keys = staff_register(url)
    monkeypatch.setenv("COLLECTIONS_KEY", keys["supervisor"])
    return keys


@pytest.fixture
def act_as(keys: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Give the next commands as the person of a role (their key in COLLECTIONS_KEY)."""
    return lambda role: monkeypatch.setenv("COLLECTIONS_KEY", keys[role])


@pytest_asyncio.fixture
async def worker(dev_env: WorkflowEnvironment, queue: str, tmp_path: Path) -> AsyncIterator[None]:
    async with build_worker(dev_env.client, tmp_path / "outbox", task_queue=queue):
        yield


async def start_account(client: Client, queue: str) -> str:
    """A fresh account owing 12000.00 CNY, one day past due."""
    account = f"CLI-{uuid.uuid4().hex[:8]}"
    event = overdue(account_id=account, occurred_at=datetime.now(UTC))
    assert await submit(client, event, PolicyBook(), task_queue=queue) == "started"
    return account


async def terminate(client: Client, account: str) -> None:
    handle = client.get_workflow_handle(workflow_id(account))
    if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        await handle.terminate("test over")


@pytest_asyncio.fixture
async def account(dev_env: WorkflowEnvironment, queue: str, worker: None) -> AsyncIterator[str]:
    account = await start_account(dev_env.client, queue)
    yield account
    await terminate(dev_env.client, account)


def today() -> date:
    return datetime.now(DEBTOR_ZONE).date()


async def run(client: Client, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()  # only this command's output
    code = await starter.main(list(argv), client=client)
    out, err = capsys.readouterr()
    return code, out, err


async def status(client: Client, capsys: pytest.CaptureFixture[str], account: str) -> dict:
    code, out, err = await run(client, capsys, "status", account, "--json")
    assert code == 0, err
    return json.loads(out)


async def status_until(
    client: Client, capsys: pytest.CaptureFixture[str], account: str, done: Callable[[dict], object]
) -> dict:
    """The status once `done` says so (or after 10 s): signals apply when the workflow next runs."""
    deadline = time.monotonic() + 10
    while True:
        current = await status(client, capsys, account)
        if done(current) or time.monotonic() > deadline:
            return current
        await asyncio.sleep(0.25)


async def closed_status(client: Client, capsys: pytest.CaptureFixture[str], account: str) -> dict:
    """The status once the workflow has closed: polled, for the closing step runs after the command."""
    return await status_until(client, capsys, account, lambda s: s["outcome"])


async def test_a_promise_is_accepted_and_a_repeat_with_its_id_applies_once(
    dev_env: WorkflowEnvironment, account: str, capsys: pytest.CaptureFixture[str], act_as: Callable[[str], None]
) -> None:
    act_as("collector")  # li.na
    promised = (today() + timedelta(days=5)).isoformat()
    command = ["promise", account, "--amount", "5000.00", "--currency", "CNY", "--date", promised]

    code, out, err = await run(dev_env.client, capsys, *command)

    assert code == 0, err
    accepted = re.match(r"promise accepted \(id (cli-[0-9a-f]{12})\)\n", out)
    assert accepted, out
    assert f"promise      {accepted[1]}: 5000.00 CNY by {promised} (open, taken by li.na)" in out
    assert "promise_to_pay by li.na" in out  # the history line

    code, out, err = await run(dev_env.client, capsys, *command, "--id", accepted[1])

    assert code == 0, err
    assert out.startswith(f"promise accepted (id {accepted[1]})\n")
    promises = (await status(dev_env.client, capsys, account))["promises"]
    assert len(promises) == 1 and promises[0]["promise_id"] == accepted[1]


async def test_a_promise_for_a_past_date_is_rejected_by_the_workflow(
    dev_env: WorkflowEnvironment, account: str, capsys: pytest.CaptureFixture[str]
) -> None:
    yesterday = (today() - timedelta(days=1)).isoformat()
    code, out, err = await run(
        dev_env.client, capsys,
        "promise", account, "--amount", "5000.00", "--currency", "CNY", "--date", yesterday,
    )  # fmt: skip
    assert code == starter.EXIT_REJECTED
    assert err.startswith("rejected: ") and "not in the future" in err
    assert out == ""
    assert (await status(dev_env.client, capsys, account))["promises"] == []


async def test_a_plan_that_does_not_cover_the_balance_is_rejected(
    dev_env: WorkflowEnvironment, account: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = today() + timedelta(days=5), today() + timedelta(days=35)
    code, _, err = await run(
        dev_env.client, capsys,
        "plan", account, "--currency", "CNY", "--installment", f"4000.00:{first}", "--installment", f"4000.00:{second}",
    )  # fmt: skip
    assert code == starter.EXIT_REJECTED
    assert err == "rejected: installments sum to 8000.00, the balance is 12000.00 CNY\n"


async def test_pause_resume_and_write_off_close_the_account(
    dev_env: WorkflowEnvironment, account: str, capsys: pytest.CaptureFixture[str], act_as: Callable[[str], None]
) -> None:
    until = (datetime.now(DEBTOR_ZONE) + timedelta(days=3)).replace(microsecond=0).isoformat()
    code, out, err = await run(dev_env.client, capsys, "pause", account, "--reason", "hospital", "--until", until)
    assert code == 0, err
    pause_id = re.match(r"pause accepted \(id (cli-[0-9a-f]{12})\)\n", out)
    assert pause_id, out
    assert f"pause by wang.fang: until {until}: hospital [{pause_id[1]}]" in out

    code, out, err = await run(dev_env.client, capsys, "resume", account, "--json")
    assert code == 0, err
    assert err.startswith("resume accepted (id cli-")  # --json: standard output is the status alone
    pauses = json.loads(out)["pauses"]
    assert len(pauses) == 1 and pauses[0]["ended_at"] is not None

    code, out, err = await run(dev_env.client, capsys, "write-off", account, "--reason", "uneconomic", "--id", "wo-1")
    assert code == 0, err
    assert out.startswith("write-off accepted (id wo-1)\n")
    # Seed 000: a write-off waits for approval, a manager's below 50,000 (the standard matrix), never its asker's.
    assert "  approval     write-off-1 waits for the manager (0 days, asked by wang.fang): uneconomic\n" in out
    code, _, err = await run(dev_env.client, capsys, "approve", account, "write-off-1", "--reason", "mine")
    assert code == starter.EXIT_REJECTED and "write-off-1 needs a manager or above" in err
    act_as("manager")
    code, out, err = await run(dev_env.client, capsys, "approve", account, "write-off-1", "--reason", "agreed")
    assert code == 0, err
    # The update answers before the workflow records the close: the status says what it closes with (issue 13: it
    # showed the account as before the write-off).
    assert "  closing      written_off: uneconomic (asked by wang.fang, approved by zhao.lei)\n" in out
    assert "  stage " not in out

    final = await closed_status(dev_env.client, capsys, account)
    assert final["outcome"] == "written_off"
    assert final["stage"] == "closed"


async def test_contact_outcome_and_bankruptcy_are_signals(
    dev_env: WorkflowEnvironment, account: str, capsys: pytest.CaptureFixture[str], act_as: Callable[[str], None]
) -> None:
    act_as("collector")
    code, out, err = await run(dev_env.client, capsys, "contact-outcome", account, "--channel", "phone",
                               "--result", "no_answer", "--id", "call-1")  # fmt: skip
    assert (code, out) == (0, "contact-outcome sent (id call-1)\n"), err
    code, _, err = await run(dev_env.client, capsys, "bankruptcy", account)
    assert (code, err) == (2, "bankruptcy needs the supervisor, manager or general_manager role; COLLECTIONS_KEY is "
                              "li.na's, a collector\n")  # fmt: skip

    act_as("supervisor")
    code, out, err = await run(dev_env.client, capsys, "bankruptcy", account, "--case-reference", "(2026)沪03破1号")
    assert code == 0, err
    assert re.fullmatch(r"bankruptcy sent \(id cli-[0-9a-f]{12}\)\n", out)

    final = await closed_status(dev_env.client, capsys, account)
    assert final["outcome"] == "bankrupt"
    assert final["contact_failures"] == {"phone": 1}
    assert final["bankruptcy"]["case_reference"] == "(2026)沪03破1号"
    assert final["bankruptcy"]["reported_by"] == "wang.fang"


async def test_a_malformed_amount_is_rejected_before_any_call(capsys: pytest.CaptureFixture[str]) -> None:
    class NoCalls:
        def __getattr__(self, name: str) -> object:
            raise AssertionError(f"the client was used: {name}")

    code = await starter.main(
        ["promise", "ANY", "--amount", "abc", "--currency", "CNY", "--date", "2026-12-05"],
        client=NoCalls(),  # type: ignore[arg-type]
    )
    out, err = capsys.readouterr()
    assert code == starter.EXIT_REJECTED and out == ""
    assert err == "rejected: amount: malformed amount 'abc': expected digits with an optional decimal point\n"

    code = await starter.main(["plan", "ANY", "--currency", "CNY", "--installment", "4000.00"], client=NoCalls())  # type: ignore[arg-type]
    assert code == starter.EXIT_REJECTED
    assert "installment '4000.00': expected AMOUNT:DATE" in capsys.readouterr().err


async def test_disputes_contacts_approvals_and_legal_outcomes_reach_their_handlers(
    dev_env: WorkflowEnvironment, account: str, capsys: pytest.CaptureFixture[str], act_as: Callable[[str], None]
) -> None:
    client = dev_env.client
    act_as("collector")
    code, out, err = await run(client, capsys, "dispute", account, "--reason", "goods damaged", "--invoice", "INV-1",
                               "--id", "d-1")  # fmt: skip
    assert code == 0, err
    assert "dispute      d-1 (INV-1) open: goods damaged" in out

    act_as("manager")  # zhao.lei
    code, out, err = await run(client, capsys, "resolve-dispute", account, "d-1", "--upheld", "--adjustment", "100.00",
                               "--note", "two boxes")  # fmt: skip
    assert code == 0, err
    assert "dispute      d-1 (INV-1) upheld" in out and "outstanding  11900.00 CNY" in out

    code, _, err = await run(client, capsys, "resolve-dispute", account, "d-1", "--rejected")
    assert (code, err) == (starter.EXIT_REJECTED, "rejected: dispute d-1 is already upheld\n")

    act_as("collector")
    code, _, err = await run(client, capsys, "update-contact", account)
    assert (code, err) == (starter.EXIT_REJECTED, "rejected: give a new phone, email or postal address\n")
    code, out, err = await run(client, capsys, "update-contact", account, "--phone", "+8613900000000",
                               "--email", "ap@mingda.example.com")  # fmt: skip
    assert code == 0, err
    assert "update_contact by li.na: phone +8613900000000, email ap@mingda.example.com" in out
    address = [
        "--address-line",
        "静安区南京西路2号",
        "--address-line",
        "8楼",
        "--city",
        "上海市",
        "--postcode",
        "200040",
    ]
    code, out, err = await run(client, capsys, "update-contact", account, *address, "--country", "CN")
    assert code == 0, err
    assert "update_contact by li.na: address 静安区南京西路2号, 8楼, 上海市 200040, China" in out
    code, _, err = await run(client, capsys, "update-contact", account, "--city", "上海市")
    assert code == starter.EXIT_REJECTED and err.startswith("rejected: address.lines: required field is missing"), err

    act_as("general_manager")
    for verb in ("approve", "reject"):
        code, _, err = await run(client, capsys, verb, account, "d091-issue_lawyer_letter", "--reason", "ok")
        assert code == starter.EXIT_REJECTED
        assert err.startswith("rejected: no approval request for d091-issue_lawyer_letter")

    act_as("legal")
    code, out, err = await run(client, capsys, "legal-outcome", account, "--outcome", "settled")
    assert code == 0 and out.startswith("legal-outcome sent (id cli-"), err


async def test_an_unknown_account_is_the_usual_not_found_error(
    dev_env: WorkflowEnvironment, queue: str, worker: None, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = f"NOPE-{uuid.uuid4().hex[:8]}"
    for command in (["write-off", missing, "--reason", "x"], ["bankruptcy", missing]):
        code, out, err = await run(dev_env.client, capsys, *command)
        assert (code, out) == (starter.EXIT_FAILED, "")
        assert err == f"no collection workflow for account {missing}\n"


async def test_a_command_to_a_closed_account_is_rejected_as_such(
    dev_env: WorkflowEnvironment, account: str, capsys: pytest.CaptureFixture[str], act_as: Callable[[str], None]
) -> None:
    assert (await run(dev_env.client, capsys, "write-off", account, "--reason", "x"))[0] == 0
    act_as("manager")
    assert (await run(dev_env.client, capsys, "approve", account, "write-off-1", "--reason", "x"))[0] == 0
    assert (await closed_status(dev_env.client, capsys, account))["outcome"] == "written_off"
    for command in (
        ["resume", account],
        ["bankruptcy", account],
        ["pay", account, "--payment-id", "P-1", "--amount", "1.00", "--currency", "CNY"],
    ):
        code, out, err = await run(dev_env.client, capsys, *command)
        assert (code, out) == (starter.EXIT_REJECTED, "")
        assert err == f"rejected: account {account} is closed: its collection workflow has completed (see status)\n"


async def test_an_update_with_no_worker_running_says_so_instead_of_hanging(
    dev_env: WorkflowEnvironment, queue: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(edge.client, "UPDATE_TIMEOUT", timedelta(seconds=1))
    account = await start_account(dev_env.client, queue)
    try:
        code, out, err = await run(dev_env.client, capsys, "write-off", account, "--reason", "x", "--id", "wo-9")
        assert (code, out) == (starter.EXIT_FAILED, "")
        assert err.startswith("no worker answered write-off (id wo-9) within 1s")
    finally:
        await terminate(dev_env.client, account)


async def test_an_id_reused_for_other_content_exits_2_with_the_reason(
    dev_env: WorkflowEnvironment, account: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 13, item 9: a payment id or command id reused for other content was accepted and silently dropped."""
    pay = ("pay", account, "--payment-id", "PAY-9", "--currency", "CNY", "--amount")
    assert (await run(dev_env.client, capsys, *pay, "10.00"))[0] == 0
    await status_until(dev_env.client, capsys, account, lambda s: s["payments"])
    assert (await run(dev_env.client, capsys, *pay, "10.00"))[0] == 0  # a repeat
    code, _, err = await run(dev_env.client, capsys, *pay, "900.00")
    assert (code, err) == (2, "rejected: payment id PAY-9 was already used for a different payment on this account\n")

    dispute = ("dispute", account, "--reason", "damaged", "--id", "cmd-9")
    assert (await run(dev_env.client, capsys, *dispute))[0] == 0
    code, _, err = await run(dev_env.client, capsys, "write-off", account, "--reason", "x", "--id", "cmd-9")
    assert (code, err) == (2, "rejected: command id cmd-9 was already used for a different command (open_dispute)\n")
    code, _, err = await run(dev_env.client, capsys, "bankruptcy", account, "--id", "cmd-9")
    assert code == 2 and "cmd-9 was already used" in err

    ahead = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    code, _, err = await run(dev_env.client, capsys, *pay[:3], "PAY-10", "--currency", "CNY", "--amount", "1.00",
                             "--received-at", ahead)  # fmt: skip
    assert code == 2 and "received_at" in err and "more than a day ahead" in err
    final = await status(dev_env.client, capsys, account)
    assert [p["payment_id"] for p in final["payments"]] == ["PAY-9"] and final["outcome"] is None
