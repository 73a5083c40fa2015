"""Fault drill (issue 8): channels that fail intermittently.

A real Temporal dev server, an in-process worker whose SMS go to the local HTTP provider and whose email goes to the
local SMTP server, the shipped policies compressed to DAY_SECONDS a day, and a batch of accounts on the standard
ladder. Both servers fail a seeded fraction of calls transiently: the SMS provider answers 500, 503, 429, or too
late for the sender's timeout (having taken the message, as a slow provider may); the SMTP server answers DATA with
451 or 421, or commits the message and answers too late. A few accounts have a phone number the SMS provider refuses
for good (422, invalid number).

The drill follows the friendly stage (SMS on days 1 and 10, email on days 3 and 20) of every account, then ends the
workflows, and checks: every message the outbox says was sent reached its provider exactly once, with retries
behind it; the refused ones are failed steps and `wrong_number` contact outcomes; no workflow got stuck on a fault.
"""

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.senders import SmsHttpSettings, SmtpSettings, message_id
from domain.account import HistoryEntry
from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from edge.ingest import submit
from store.db import make_engine
from store.models import Message
from store.repository import Store
from tests.channels.gateway import Gateway, Reply, Request
from tests.channels.smtp import DataReply, Mailbox
from tests.factories import overdue
from tests.integration.test_end_to_end import compressed_policies
from worker import build_worker
from workflows import STATUS, workflow_id

pytestmark = pytest.mark.drill

ACCOUNTS = 24
REFUSED = {3, 11, 19}  # accounts whose phone number the SMS provider refuses for good
SEED = 8  # issue 8
FAULT_RATE = 0.3
MAX_FAULTS_IN_A_ROW = 3
DAY_SECONDS = 0.5  # day 20 at 10 s; the friendly stage ends at day 31 (15.5 s), leaving room for retries' backoff
SEND_TIMEOUT = 1.0  # the senders' timeout: low to keep the drill short, not so low that a busy machine trips it
LATE = 3.0  # a "slow" answer comes this long after the request: well past SEND_TIMEOUT
DEADLINE = 45.0  # seconds for every account to get through its friendly stage
QUERY_TIMEOUT = timedelta(seconds=3)

SMS_FAULTS = {
    "500": Reply(500, {"error": "internal error"}),
    "503": Reply(503, {"error": "service unavailable"}),
    "429": Reply(429, {"error": "too many requests"}),
    "slow": Reply(200, {"id": "sms-late"}, delay=LATE, accept=True),  # taken, but the answer comes too late
}
SMTP_FAULTS = {
    "451": DataReply("451 4.3.0 Temporary failure, try again later", keep=False),
    "421": DataReply("421 4.3.2 Service not available, closing transmission channel", keep=False),
    "slow": DataReply(delay=LATE, keep=True),  # committed, but the 250 comes too late
}
INVALID_NUMBER = Reply(422, {"error": "invalid number: not a mobile subscriber"})


@dataclass
class FaultPlan:
    """What each call to one channel gets: decided per (idempotency key, attempt) from the seed, so the same messages
    fail the same way on every run whatever order the concurrent calls arrive in. A message fails at most
    MAX_FAULTS_IN_A_ROW times running: a longer outage would only lengthen the drill (the retries back off towards
    5 minutes), not test anything new."""

    seed: str
    kinds: tuple[str, ...]
    answers: dict[str, list[str]] = field(default_factory=dict)  # key -> each call's answer: a fault, "ok", "refused"
    lock: threading.Lock = field(default_factory=threading.Lock)  # the servers call from their own threads

    def answer(self, key: str, refused: bool = False) -> str:
        with self.lock:
            answers = self.answers.setdefault(key, [])
            rng = random.Random(f"{self.seed}/{key}/{len(answers)}")
            if refused:
                answer = "refused"
            elif len(answers) < MAX_FAULTS_IN_A_ROW and rng.random() < FAULT_RATE:
                answer = rng.choice(self.kinds)
            else:
                answer = "ok"
            answers.append(answer)
            return answer

    def injected(self) -> Counter[str]:
        """Transient faults injected, by kind."""
        return Counter(a for answers in self.answers.values() for a in answers if a not in ("ok", "refused"))


def flaky_sms(gateway: Gateway, plan: FaultPlan, refused_numbers: set[str]) -> None:
    def decide(request: Request) -> Reply:
        key = request.headers["Idempotency-Key"]
        answer = plan.answer(key, refused=request.body["to"] in refused_numbers)
        if answer == "refused":
            return INVALID_NUMBER
        return SMS_FAULTS.get(answer) or Reply(200, {"id": f"sms-{len(gateway.requests) + 1}"}, accept=True)

    gateway.decide = decide


def flaky_smtp(mailbox: Mailbox, plan: FaultPlan) -> None:
    def decide(message: EmailMessage) -> DataReply | None:
        return SMTP_FAULTS.get(plan.answer(str(message["X-Idempotency-Key"])))

    mailbox.decide = decide


def phone(i: int) -> str:
    return f"+86138000000{i:02d}"


def step_entries(status: AccountStatus | None, steps: list[str]) -> dict[str, HistoryEntry]:
    """Each step's outcome in the account's history: done ("action"), "failed" or "skipped"."""
    if status is None:
        return {}
    return {e.step: e for e in status.history if e.step in steps and e.kind in ("action", "failed", "skipped")}


@dataclass
class Followed:
    """What the drill saw of each account: its last status, and for a stuck one why it could not move on."""

    statuses: dict[str, AccountStatus] = field(default_factory=dict)
    stuck: dict[str, str] = field(default_factory=dict)


async def follow_until_handled(client: Client, accounts: list[str], steps: list[str]) -> Followed:
    """Polls each account's status until all `steps` are handled, then terminates its workflow (the rest of the
    ladder is not this drill's business: letters only slow the machine). An account still missing a step at the
    deadline is stuck: it is terminated too, with what its last query and last failed workflow task said."""
    followed, errors = Followed(), {}
    waiting = set(accounts)
    deadline = time.monotonic() + DEADLINE

    async def poll(account: str) -> None:
        handle = client.get_workflow_handle(workflow_id(account))
        try:  # a workflow whose tasks keep failing cannot answer: do not wait the server's 30 s for it
            status = await handle.query(STATUS, datetime.now(UTC), result_type=AccountStatus, rpc_timeout=QUERY_TIMEOUT)
        except (RPCError, WorkflowQueryFailedError) as error:
            errors[account] = f"status query failed: {error}"
            return
        followed.statuses[account] = status
        if len(step_entries(status, steps)) == len(steps):
            waiting.discard(account)
            await handle.terminate("flaky-channel drill: friendly stage over")

    while waiting and time.monotonic() < deadline:
        await asyncio.gather(*(poll(account) for account in sorted(waiting)))
        await asyncio.sleep(0.25)
    for account in sorted(waiting):  # leave nothing running behind the drill
        handle = client.get_workflow_handle(workflow_id(account))
        task_failure = None
        async for event in handle.fetch_history_events():
            if event.HasField("workflow_task_failed_event_attributes"):
                task_failure = event.workflow_task_failed_event_attributes.failure.message
        status = followed.statuses.get(account)
        followed.stuck[account] = "; ".join(
            filter(None, [
                f"steps handled {sorted(step_entries(status, steps))}",
                f"next action {status.next_action}" if status else None,
                errors.get(account),
                f"workflow task failing: {task_failure}" if task_failure else None,
            ])
        )  # fmt: skip
        await handle.terminate("flaky-channel drill: stuck at the deadline")
    return followed


async def test_flaky_channels_deliver_exactly_once_and_permanent_failures_become_outcomes(
    dev_env: WorkflowEnvironment,
    tmp_path: Path,
    gateway: Gateway,
    smtp_server: Callable[..., tuple[Mailbox, SmtpSettings]],
) -> None:
    started = time.monotonic()
    client = dev_env.client
    mailbox, smtp = smtp_server()
    sms_plan, smtp_plan = FaultPlan(f"{SEED}/sms", tuple(SMS_FAULTS)), FaultPlan(f"{SEED}/smtp", tuple(SMTP_FAULTS))
    flaky_sms(gateway, sms_plan, {phone(i) for i in REFUSED})
    flaky_smtp(mailbox, smtp_plan)
    book = PolicyBook(compressed_policies(tmp_path / "policies", DAY_SECONDS))
    policy = book.for_segment("standard")
    friendly = [s.key for s in policy.steps if policy.stage_at(s.day) == "friendly"]
    assert friendly == ["d001-send_sms", "d003-send_email", "d010-send_sms", "d020-send_email"]  # what we watch
    accounts = [f"FLAKY-{i:02d}" for i in range(ACCOUNTS)]
    refused = {accounts[i] for i in REFUSED}
    queue, outbox = "tq-drill-flaky-channels", tmp_path / "outbox"

    async with build_worker(
        client, outbox, task_queue=queue,
        smtp=replace(smtp, timeout_seconds=SEND_TIMEOUT),
        sms=SmsHttpSettings(url=gateway.url, auth_header_value="Bearer drill", timeout_seconds=SEND_TIMEOUT),
    ):  # fmt: skip
        now = datetime.now(UTC)
        for i, account in enumerate(accounts):
            event = overdue(
                account_id=account, event_id=f"flaky-{i:02d}", occurred_at=now, phone=phone(i),
                email=f"ap-{i:02d}@debtor.example.com",
            )  # fmt: skip
            assert await submit(client, event, book, task_queue=queue) == "started"
        followed = await follow_until_handled(client, accounts, friendly)

    store = Store(make_engine(f"sqlite:///{outbox / 'collections.db'}"))
    rows: dict[str, Message] = {m.idempotency_key: m for a in accounts for m in store.messages(a) if m.step in friendly}
    store.close()
    statuses = followed.statuses
    outcomes = {a: step_entries(statuses.get(a), friendly) for a in accounts}
    sent = {k: m for k, m in rows.items() if m.status == "sent"}
    sent_sms = {k for k, m in sent.items() if m.kind == "sms"}
    sent_email = {k for k, m in sent.items() if m.kind == "email"}
    failed = {k: m for k, m in rows.items() if m.status == "failed"}
    # What the providers hold, for the friendly steps (a workflow ended mid-letter may not have reached day 45's SMS).
    accepted = {k for k in gateway.accepted if k.rsplit("/", 1)[-1] in friendly}
    copies = Counter(
        key for r in mailbox.received if (key := str(r.message["X-Idempotency-Key"])).rsplit("/", 1)[-1] in friendly
    )
    message_ids = {k: {str(r.message["Message-ID"]) for r in mailbox.received if r.message["X-Idempotency-Key"] == k}
                   for k in copies}  # fmt: skip
    # A duplicate: the provider answered "accepted" in time more than once for one message (we sent it again after a
    # success), or the mailbox holds more copies than the late-committed faults explain.
    sms_duplicates = sum(max(0, sms_plan.answers.get(k, []).count("ok") - 1) for k in sent_sms)
    email_duplicates = sum(
        max(0, copies[k] - 1 - smtp_plan.answers.get(k, []).count("slow")) for k in sent_email
    ) + sum(max(0, smtp_plan.answers.get(k, []).count("ok") - 1) for k in sent_email)
    skipped = sum(e.kind == "skipped" for entries in outcomes.values() for e in entries.values())
    figures = (
        f"flaky-channel drill: {ACCOUNTS} accounts ({len(refused)} with a refused number), "
        f"{len(sent)} messages expected ({len(sent_sms)} SMS, {len(sent_email)} email), "
        f"{len(accepted) + len(copies)} delivered ({len(accepted)} SMS, {len(copies)} email), "
        f"{sms_duplicates + email_duplicates} duplicates, "
        f"transient faults injected: SMS {sum(sms_plan.injected().values())} {dict(sms_plan.injected())}, "
        f"SMTP {sum(smtp_plan.injected().values())} {dict(smtp_plan.injected())}; "
        f"provider calls: SMS {len(gateway.requests)}, SMTP DATA {sum(map(len, smtp_plan.answers.values()))}; "
        f"{len(failed)} permanent failures, {skipped} steps skipped, {len(followed.stuck)} accounts stuck; "
        f"{time.monotonic() - started:.1f} s"
    )
    print(figures)
    # Every broken invariant is listed, not just the first: a drill's report should show the whole damage.
    problems: list[str] = []

    def check(ok: bool, problem: str) -> None:
        if not ok:
            problems.append(problem)

    # No workflow stuck: every account got through its friendly stage, each step done, failed or skipped with a reason.
    for account, why in followed.stuck.items():
        problems.append(f"{account} stuck after {DEADLINE:.0f} s: {why}")
    for account in accounts:
        for step, entry in outcomes[account].items():
            sms_step, permanent = step.endswith("send_sms"), account in refused and step.endswith("send_sms")
            if entry.kind == "skipped":
                check(bool(entry.detail), f"{account} {step} skipped without a reason")
                continue
            expected = "failed" if permanent else "action"
            check(entry.kind == expected, f"{account} {step}: {entry.kind}, expected {expected}: {entry.detail}")
            row = rows.get(entry.idempotency_key or "")
            want = ("failed", "") if permanent else ("sent", "sms-http" if sms_step else "smtp")
            check(
                row is not None and (row.status, row.channel) == want,
                f"{account} {step}: outbox row {row and (row.status, row.channel)}, expected {want}",
            )
    recorded = {e.idempotency_key for entries in outcomes.values() for e in entries.values()} - {None}
    check(set(rows) <= recorded, f"outbox rows for steps no workflow recorded: {sorted(set(rows) - recorded)}")

    # Exactly once at the SMS provider: what it holds is what the outbox sent, each answered "accepted" in time once,
    # after as many calls as the outbox counted attempts.
    check(accepted == sent_sms, f"SMS provider: missing {sent_sms - accepted}, unexpected {accepted - sent_sms}")
    for key in sorted(sent_sms):
        answers = sms_plan.answers.get(key, [])
        check(answers[-1:] == ["ok"] and answers.count("ok") == 1, f"{key}: the SMS provider answered {answers}")
        check(sent[key].attempts == len(answers), f"{key}: {sent[key].attempts} attempts, calls {answers}")
    # Exactly once at the mailbox: one distinct message (one Message-ID) per key; the only extra copies are the ones
    # the server committed before answering too late, which carry the same Message-ID.
    check(
        set(copies) == sent_email, f"mailbox: missing {sent_email - set(copies)}, unexpected {set(copies) - sent_email}"
    )
    for key in sorted(sent_email):
        answers = smtp_plan.answers.get(key, [])
        check(answers[-1:] == ["ok"] and answers.count("ok") == 1, f"{key}: the SMTP server answered {answers}")
        check(copies[key] == 1 + answers.count("slow"), f"{key}: {copies[key]} copies held after {answers}")
        check(message_ids.get(key) == {message_id(key, "example.com")}, f"{key}: Message-IDs {message_ids.get(key)}")
        check(sent[key].attempts == len(answers), f"{key}: {sent[key].attempts} attempts, calls {answers}")
    check(sms_duplicates == email_duplicates == 0, f"duplicates: {sms_duplicates} SMS, {email_duplicates} email")

    # The faults really happened, of every kind, and the retries went through them.
    check(set(sms_plan.injected()) == set(SMS_FAULTS), f"SMS faults injected: {dict(sms_plan.injected())}")
    check(set(smtp_plan.injected()) == set(SMTP_FAULTS), f"SMTP faults injected: {dict(smtp_plan.injected())}")
    check(len(gateway.requests) > len(gateway.accepted) + len(failed), "no SMS was retried")
    check(sum(m.attempts for m in sent.values()) > len(sent), "no message needed a second attempt")

    # Permanent refusals: tried once, recorded as failed steps and wrong_number outcomes; transient faults never count.
    refused_keys = {k for k, m in rows.items() if m.account_id in refused and m.kind == "sms"}
    check(
        bool(refused_keys) and set(failed) == refused_keys, f"failed {sorted(failed)}, refused {sorted(refused_keys)}"
    )
    for key, row in sorted(failed.items()):
        check(sms_plan.answers.get(key) == ["refused"], f"{key}: the SMS provider answered {sms_plan.answers.get(key)}")
        check("422" in (row.error or ""), f"{key}: outbox error {row.error!r}")
    for account in accounts:
        status = statuses.get(account)
        if status is None:
            continue  # never answered: already reported as stuck
        wrong_numbers = sum("wrong_number" in e.detail for e in status.history if e.kind == "command")
        if account in refused:  # one outcome per refused SMS (day 10's is skipped if the account fell that far behind)
            refusals = sum(e.kind == "failed" for e in outcomes[account].values())
            check(
                status.contact_failures.get("phone") == wrong_numbers == refusals >= 1,
                f"{account}: contact failures {status.contact_failures}, {wrong_numbers} wrong_number outcomes, "
                f"{refusals} refused SMS recorded",
            )
        else:
            check(
                not any(status.contact_failures.values()) and wrong_numbers == 0,
                f"{account}: contact failures {status.contact_failures} from transient faults",
            )
    assert not problems, f"{figures}\n" + "\n".join(problems)
