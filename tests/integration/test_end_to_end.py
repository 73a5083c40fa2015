"""The real thing on a real Temporal dev server: worker.py and starter.py as subprocesses, the file channel,
the real policies compressed to 0.2 s a day so a 105-day ladder takes about 20 seconds."""

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.senders import SmtpSettings
from domain.commands import ApprovalDecision, ConfirmLawyerLetter, LegalOutcome
from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from settings import ROOT
from store.db import make_engine
from store.repository import Store
from tests.channels.gateway import Gateway
from tests.channels.smtp import Mailbox
from tests.domain.test_planner import STANDARD_LADDER
from tests.factories import overdue_line
from workflows import APPROVE_ACTION, CONFIRM_LAWYER_LETTER, LEGAL_OUTCOME, SEGMENT, STAGE, STATUS, workflow_id

pytestmark = pytest.mark.integration
DAY_SECONDS = 0.2


def compressed_policies(folder: Path, day_seconds: float = DAY_SECONDS) -> Path:
    """The shipped policies, unchanged but for one line: a day lasts `day_seconds`."""
    folder.mkdir()
    for path in (ROOT / "policies").glob("*.toml"):
        text = path.read_text().replace("\nversion = 1\n", f"\nversion = 1\nday_seconds = {day_seconds}\n", 1)
        (folder / path.name).write_text(text)
    return folder


@pytest.fixture
def mailbox(smtp_server: Callable) -> tuple[Mailbox, SmtpSettings]:
    return smtp_server()


@pytest.fixture
def stack_env(
    dev_env: WorkflowEnvironment, tmp_path: Path, mailbox: tuple[Mailbox, SmtpSettings], gateway: Gateway
) -> dict[str, str]:
    """The worker's environment: real SMTP and SMS servers on loopback, a SQLite store, compressed policies."""
    return os.environ | {
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "COLLECTIONS_TASK_QUEUE": f"tq-{uuid.uuid4()}",
        "COLLECTIONS_OUTBOX_DIR": str(tmp_path / "outbox"),
        "COLLECTIONS_POLICY_DIR": str(compressed_policies(tmp_path / "policies")),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'collections.db'}",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox[1].port),
        "SMTP_STARTTLS": "false",
        "SMS_URL": gateway.url,
        "SMS_AUTH_VALUE": "Bearer test",
    }


@pytest.fixture
def worker_process(stack_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen]:
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen([sys.executable, "worker.py"], cwd=ROOT, env=stack_env, stdout=log, stderr=log)
    deadline = time.monotonic() + 60  # events sent before it polls would find no worker to say joined or duplicate
    while "worker polling" not in (tmp_path / "worker.log").read_text() and time.monotonic() < deadline:
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
        time.sleep(0.1)
    yield process
    process.terminate()
    process.wait(timeout=30)
    log.close()


def run_starter(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "starter.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_ingest_runs_whole_ladders_through_the_real_worker(
    dev_env: WorkflowEnvironment,
    stack_env: dict[str, str],
    worker_process: subprocess.Popen,
    tmp_path: Path,
    mailbox: tuple[Mailbox, SmtpSettings],
    gateway: Gateway,
) -> None:
    run = uuid.uuid4().hex[:6]
    standard, gentle, paying = f"STD-{run}", f"VIP-{run}", f"PAY-{run}"
    now = datetime.now(UTC)
    lines = [
        overdue_line(account_id=standard, event_id=f"{run}-1", occurred_at=now),
        overdue_line(
            account_id=gentle,
            event_id=f"{run}-2",
            occurred_at=now,
            segment="important",
            locale="en",
            timezone="America/Los_Angeles",
            currency="USD",
            amount="4250.00",
        ),
        overdue_line(account_id=standard, event_id=f"{run}-3", invoice_id="INV-2", amount="500.00", occurred_at=now),
        overdue_line(account_id=standard, event_id=f"{run}-1", occurred_at=now),
        '{"event_id": "broken", "type": "invoice.overdue"',
        overdue_line(account_id=paying, event_id=f"{run}-4", occurred_at=now),
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")

    ingest = run_starter(stack_env, "ingest", str(events))

    assert ingest.returncode == 2, ingest.stderr
    results = [line.split()[-1] if "rejected" not in line else "rejected" for line in ingest.stdout.splitlines()[:6]]
    assert results == ["started", "started", "joined", "duplicate", "rejected", "started"]
    assert "6 events: 3 started, 1 joined, 1 duplicate, 1 rejected" in ingest.stdout
    assert json.loads((tmp_path / "events.rejects.jsonl").read_text())["line"] == 5

    await asyncio.sleep(8 * DAY_SECONDS)
    pay = run_starter(stack_env, "pay", paying, "--payment-id", f"P-{run}", "--amount", "12000.00", "--currency", "CNY")
    assert pay.returncode == 0, pay.stderr

    client = dev_env.client
    await approve_until_with_legal(client, [standard, gentle])
    for account in (standard, gentle):
        legal = LegalOutcome(command_id=f"legal-{account}", by="legal team", outcome="settled")
        await client.get_workflow_handle(workflow_id(account)).signal(LEGAL_OUTCOME, legal)
    finished = {
        account: await asyncio.wait_for(
            client.get_workflow_handle(workflow_id(account), result_type=AccountStatus).result(), timeout=120
        )
        for account in (standard, gentle, paying)
    }
    assert {a: s.outcome for a, s in finished.items()} == {standard: "settled", gentle: "settled", paying: "paid"}

    store = Store(make_engine(stack_env["DATABASE_URL"]))
    sent = {a: [m for m in store.messages(a) if m.status == "sent"] for a in finished}
    ladder = [m for m in sent[standard] if m.step.startswith("d")]
    assert [m.step for m in ladder] == [step for step, _ in STANDARD_LADDER]
    assert "12,500.00" in ladder[-1].body_text  # both invoices in the legal handoff
    gentle_steps = [s.key for s in PolicyBook(Path(stack_env["COLLECTIONS_POLICY_DIR"])).for_segment("vip").steps]
    assert [m.step for m in sent[gentle] if m.step.startswith("d")] == gentle_steps
    assert 1 <= len(sent[paying]) < len(STANDARD_LADDER)
    # The real channels got exactly what the outbox says was sent by them, once each.
    all_sent = [m for messages in sent.values() for m in messages]
    by_channel = {c: sorted(m.idempotency_key for m in all_sent if m.channel == c) for c in ("smtp", "sms-http")}
    received = sorted(r.message["X-Idempotency-Key"] for r in mailbox[0].received)
    assert received == by_channel["smtp"] and len(received) >= 6
    assert sorted(gateway.accepted) == by_channel["sms-http"] and len(gateway.requests) == len(gateway.accepted)
    mails = [r.message for r in mailbox[0].received]
    email = next(m for m in mails if m["X-Idempotency-Key"].startswith(f"collection-{gentle}"))
    assert "$4,250.00" in email["Subject"] and email.get_body(("html",)) is not None
    cases = store.cases()
    assert {c.account_id for c in cases} >= {standard, gentle}

    status = run_starter(stack_env, "status", standard, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["outcome"] == "settled"
    assert "outcome      settled" in run_starter(stack_env, "status", standard).stdout

    described = await client.get_workflow_handle(workflow_id(gentle)).describe()
    assert described.typed_search_attributes.get(STAGE) == "closed"
    assert described.typed_search_attributes.get(SEGMENT) == "important"
    query = f"CollectionSegment = 'important' AND WorkflowId = '{workflow_id(gentle)}'"
    for _ in range(50):  # visibility is eventually consistent
        if [w.id async for w in client.list_workflows(query)]:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail("search attributes not visible in list_workflows")


async def approve_until_with_legal(client: Client, accounts: list[str]) -> None:
    """The general manager, who approves every request as soon as it appears, and the law firm, which issues every
    lawyer's letter drafted for it, until the accounts are with legal."""
    waiting = set(accounts)
    for _ in range(600):
        for account in sorted(waiting):
            handle = client.get_workflow_handle(workflow_id(account))
            status = await handle.query(STATUS, datetime.now(UTC), result_type=AccountStatus)
            if status.with_legal_since:
                waiting.discard(account)
            for pending in status.pending_approvals:
                decision = ApprovalDecision(command_id=f"ok-{pending.step}", by="boss", step=pending.step, reason="ok",
                                            approver_level="general_manager")  # fmt: skip
                await handle.execute_update(APPROVE_ACTION, decision, result_type=AccountStatus)
            for draft in [t for t in status.tasks if t.kind == "lawyer_letter_draft" and t.state == "open"]:
                step = draft.key.removeprefix("firm-draft-")  # the law firm issues the letter drafted for it
                today = datetime.now(UTC).date()
                issued = ConfirmLawyerLetter(command_id=f"firm-{step}", by="legal", step=step, answer="issued",
                                             lawyer="王律师", licence="1310120001", issued_on=today)  # fmt: skip
                await handle.execute_update(CONFIRM_LAWYER_LETTER, issued, result_type=AccountStatus)
        if not waiting:
            return
        await asyncio.sleep(DAY_SECONDS / 2)
    pytest.fail(f"never handed to legal: {waiting}")


async def test_status_of_an_unknown_account_is_a_clear_error(stack_env: dict[str, str]) -> None:
    result = run_starter(stack_env, "status", "NO-SUCH-ACCOUNT")
    assert result.returncode == 1
    assert "no collection workflow for account NO-SUCH-ACCOUNT" in result.stderr
