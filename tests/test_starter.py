"""`starter.py ingest` on a real dev server: every valid line applied, every invalid one in the rejects file."""

import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

import edge.ingest
import starter
from activities.channels import FileChannel
from domain.policy_book import PolicyBook
from domain.status import AccountStatus, account_status
from edge.ingest import ingest, read_lines
from tests.domain.simulate import open_account
from tests.factories import billing_dict, event_dict, overdue_line
from worker import build_worker
from workflows import workflow_id

pytestmark = pytest.mark.integration


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> str:
    """No worker polls this queue: the workflows are started and stay pending, which is all ingest needs."""
    name = f"tq-{uuid.uuid4()}"
    monkeypatch.setenv("COLLECTIONS_TASK_QUEUE", name)
    return name


async def terminate(env: WorkflowEnvironment, accounts: list[str]) -> None:
    for account in accounts:
        handle = env.client.get_workflow_handle(workflow_id(account))
        if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
            await handle.terminate("test over")


async def test_mixed_file_applies_valid_lines_and_writes_rejects_with_line_numbers(
    dev_env: WorkflowEnvironment, queue: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = uuid.uuid4().hex[:6]
    accounts = [f"A-{run}-{i}" for i in range(3)]
    events = tmp_path / "batch.jsonl"
    events.write_text(
        "\n".join(
            [
                overdue_line(account_id=accounts[0], event_id=f"{run}-1"),
                "not json at all",
                overdue_line(account_id=accounts[1], event_id=f"{run}-2", amount="-10.00"),
                "",  # blank lines are not events
                overdue_line(account_id=accounts[1], event_id=f"{run}-3"),
                overdue_line(account_id=accounts[2], event_id=f"{run}-4", segment="gold"),
                overdue_line(account_id=accounts[2], event_id=f"{run}-5", currency="XXY"),
            ]
        )
        + "\n"
    )

    code = await starter.main(["ingest", str(events)], client=dev_env.client)

    out = capsys.readouterr().out.splitlines()
    assert code == starter.EXIT_REJECTED
    assert out[0].endswith(f"{run}-1  {accounts[0]}  started")
    assert "line     2  ?  ?  rejected: malformed JSON" in out[1]
    assert out[2].endswith("rejected: invoice.amount: amount must be positive, got -10.00")
    assert out[3].startswith("line     5") and out[3].endswith("started")
    assert "rejected: debtor.segment: unknown segment 'gold'" in out[4]
    assert "rejected: invoice.currency: unknown currency 'XXY'" in out[5]
    assert out[6] == "6 events: 2 started, 4 rejected; rejected lines written to " + str(
        tmp_path / "batch.rejects.jsonl"
    )
    rejects = [json.loads(line) for line in (tmp_path / "batch.rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [2, 3, 6, 7]
    assert rejects[0]["raw"] == "not json at all" and "malformed JSON" in rejects[0]["reason"]
    for account in accounts[:2]:
        described = await dev_env.client.get_workflow_handle(workflow_id(account)).describe()
        assert described.task_queue == queue
    await terminate(dev_env, accounts[:2])


async def test_stdin_with_explicit_rejects_path_and_a_clean_rerun(
    dev_env: WorkflowEnvironment,
    queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    account = f"S-{uuid.uuid4().hex[:6]}"
    rejects = tmp_path / "out" / "rejected.jsonl"
    rejects.parent.mkdir()
    monkeypatch.setattr("sys.stdin", io.StringIO(overdue_line(account_id=account) + "\n{}\n"))
    assert await starter.main(["ingest", "-", "--rejects", str(rejects)], client=dev_env.client) == 2
    assert len(rejects.read_text().splitlines()) == 1

    # The same valid event again, now with a worker to confirm it: a duplicate, and the rejects file emptied.
    monkeypatch.setattr("sys.stdin", io.StringIO(overdue_line(account_id=account) + "\n"))
    async with build_worker(dev_env.client, tmp_path / "outbox", task_queue=queue):
        assert await starter.main(["ingest", "-", "--rejects", str(rejects)], client=dev_env.client) == 0
    assert capsys.readouterr().out.splitlines()[-2].endswith(f"evt-1  {account}  duplicate")
    assert rejects.read_text() == ""
    await terminate(dev_env, [account])


async def test_a_join_with_no_worker_running_is_reported_accepted_not_lost(
    dev_env: WorkflowEnvironment, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edge.ingest, "QUERY_TIMEOUT", timedelta(seconds=1))
    account = f"N-{uuid.uuid4().hex[:6]}"
    lines = read_lines([overdue_line(account_id=account), overdue_line(account_id=account, event_id="evt-2")])
    report = await ingest(dev_env.client, lines, PolicyBook(), task_queue=queue)
    assert [line.result.split(" ")[0] for line in report.lines] == ["started", "accepted"]
    assert report.exit_code == 0 and "1 started, 1 accepted" in report.summary()
    history = [e async for e in dev_env.client.get_workflow_handle(workflow_id(account)).fetch_history_events()]
    assert sum(e.HasField("workflow_execution_signaled_event_attributes") for e in history) == 2
    await terminate(dev_env, [account])


async def test_bulk_ingest_shows_a_progress_bar_and_a_summary(
    dev_env: WorkflowEnvironment, queue: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = uuid.uuid4().hex[:6]
    accounts = [f"B-{run}-{i}" for i in range(25)]
    events = tmp_path / "bulk.jsonl"
    events.write_text("".join(overdue_line(account_id=a, event_id=f"{a}-e") + "\n" for a in accounts))
    assert await starter.main(["ingest", str(events), "--progress"], client=dev_env.client) == 0
    out, err = capsys.readouterr()
    assert "25/25" in err and "event" in err, "the bar counts events on stderr"
    assert len([line for line in out.splitlines() if line.startswith("line ") and line.endswith("started")]) == 25
    assert out.splitlines()[-1] == "25 events: 25 started"
    await terminate(dev_env, accounts)


async def test_the_command_line_prints_control_characters_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 13: a debtor name with `\\x1b[2J` cleared the operator's screen. Stored text from before the validators
    refused it still prints as an escape, never as the sequence."""
    now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), now)
    assert state.debtor is not None
    state.debtor = state.debtor.model_copy(update={"name": "Evil\x1b[2J\x07Ltd"})  # as stored before the bounds
    status = account_status(state, now)

    class Handle:
        async def query(self, *args: object, **kwargs: object) -> AccountStatus:
            return status

    class Client:
        def get_workflow_handle(self, workflow_id: str) -> Handle:
            return Handle()

    assert await starter.main(["status", "ACC-1"], client=Client()) == 0  # type: ignore[arg-type]
    out = capsys.readouterr().out
    assert "Evil\\x1b[2J\\x07Ltd" in out and "\x1b" not in out and "\x07" not in out


async def test_an_invoice_issued_then_overdue_then_paid_through_ingest(
    dev_env: WorkflowEnvironment, queue: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before the due date the account opens on invoice.issued; invoice.overdue for the same invoice is known;
    invoice.paid (a signal, never a start) pays it; a billing event for no open account is refused."""
    account = f"P-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    today = now.date()
    common = {"account_id": account, "occurred_at": now, "due_date": today, "timezone": "UTC", "segment": "important"}
    events = tmp_path / "billing.jsonl"
    events.write_text(
        "\n".join(
            [
                json.dumps(event_dict(event_id="e-1", event_type="invoice.issued", **common)),
                json.dumps(event_dict(event_id="e-2", **common)),
                json.dumps(billing_dict("invoice.paid", event_id="e-3", account_id=account, occurred_at=now)),
                json.dumps(billing_dict("invoice.paid", event_id="e-4", account_id=f"{account}-X", occurred_at=now)),
            ]
        )
        + "\n"
    )
    async with build_worker(dev_env.client, tmp_path / "outbox", task_queue=queue):
        code = await starter.main(["ingest", str(events)], client=dev_env.client)
        result = await dev_env.client.get_workflow_handle(workflow_id(account), result_type=AccountStatus).result()

    out = capsys.readouterr().out.splitlines()
    assert code == starter.EXIT_REJECTED
    assert out[:4] == [
        f"line     1  e-1  {account}  started",
        f"line     2  e-2  {account}  known",
        f"line     3  e-3  {account}  applied",
        f"line     4  e-4  {account}-X  rejected: no open account {account}-X",
    ]
    assert out[4].startswith("4 events: 1 started, 1 known, 1 applied, 1 rejected; rejected lines written to")
    assert result.outcome == "paid" and [p.payment_id for p in result.payments] == ["billing-e-3"]
    assert not FileChannel(tmp_path / "outbox").records(), "nothing was sent before the due date"
