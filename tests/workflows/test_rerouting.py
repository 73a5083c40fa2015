"""Every re-route under the time-skipping server, one account at a time, exact messages and final status.

Each account opens at 10:00 Shanghai time, one day past due (Account.open): after `days(n)` it is 10:00 on
day 1 + n, just after that day's 09:00 actions."""

import asyncio
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from domain.commands import (
    AgreeInstallmentPlan,
    ApprovalDecision,
    ContactOutcome,
    InstallmentTerm,
    OfferSettlement,
    OpenDispute,
    Pause,
    PromiseToPay,
    RecordSignature,
    ReportBankruptcy,
    ResolveDispute,
    Resume,
    UpdateContact,
    WriteOff,
)
from domain.status import AccountStatus
from edge.ingest import policy_for
from tests.domain.test_planner import STANDARD_LADDER
from tests.factories import overdue
from tests.workflows.harness import Account
from workflows import (
    AGREE_INSTALLMENT_PLAN,
    APPROVE_ACTION,
    CONTACT_OUTCOME,
    INVOICE_OVERDUE,
    OFFER_SETTLEMENT,
    OPEN_DISPUTE,
    PAUSE,
    PROMISE_TO_PAY,
    RECORD_SIGNATURE,
    REJECT_ACTION,
    REPORT_BANKRUPTCY,
    RESOLVE_DISPUTE,
    RESUME,
    UPDATE_CONTACT,
    WRITE_OFF,
    workflow_id,
)
from workflows.collection import CollectionWorkflow
from workflows.inputs import CollectionInput


@pytest.fixture
async def account(time_env: WorkflowEnvironment, tmp_path: Path):
    async with Account(time_env, tmp_path) as opened:
        await opened.open()
        yield opened


async def promise(account: Account, amount: str, in_days: int) -> None:
    date = await account.today() + timedelta(days=in_days)
    await account.update(PROMISE_TO_PAY, PromiseToPay, amount=amount, currency="CNY", promised_date=date)


async def rejected(account: Account, name: str, command_type: type, **fields: object) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await account.update(name, command_type, **fields)
    return str(failure.value.cause)


def skipped(status, step: str) -> str:
    return next(h.detail for h in status.history if h.kind == "skipped" and h.step == step)


async def test_promise_kept_pauses_contact_then_resumes_where_it_was(account: Account) -> None:
    await account.days(2)  # day 3: the day-3 email went out
    await promise(account, "5000.00", 10)  # due day 13, judged at day 15 (2 days grace)
    await account.days(3)
    await account.pay("PAY-1", "5000.00")
    await account.days(19)  # day 24
    status = await account.status()
    assert account.steps() == ["d001-send_sms", "d003-send_email", "d010-send_sms"]
    assert account.sent("d010-send_sms")["day"] == 22  # day 10 of the ladder + 12 days held
    assert status.promises[0].state == "kept" and status.held_days == 12
    assert [(b.currency, str(b.amount)) for b in status.balances] == [("CNY", "7000.00")]
    assert status.stage == "friendly" and status.held is None


async def test_broken_promise_moves_the_ladder_to_the_next_stage_at_once(account: Account) -> None:
    await account.days(2)
    await promise(account, "5000.00", 10)
    await account.days(16)  # day 19: broken at day 15, formal demand at once, call task 4 days later
    status = await account.status()
    assert account.steps() == ["d001-send_sms", "d003-send_email", "d031-send_demand_letter", "d035-create_call_task"]
    assert account.sent("d031-send_demand_letter")["day"] == 15
    assert account.sent("d035-create_call_task")["day"] == 19
    assert status.broken_promises == 1 and status.stage == "formal_demand"
    assert "friendly stage was already over" in skipped(status, "d010-send_sms")
    assert "friendly stage was already over" in skipped(status, "d020-send_email")


async def test_promise_validators_and_the_broken_promise_limit(account: Account) -> None:
    await account.days(2)
    today = await account.today()
    base = {"currency": "CNY", "amount": "1000.00"}
    assert "not in the future" in await rejected(account, PROMISE_TO_PAY, PromiseToPay, promised_date=today, **base)
    late = today + timedelta(days=31)
    assert "more than 30 days ahead" in await rejected(
        account, PROMISE_TO_PAY, PromiseToPay, promised_date=late, **base
    )
    assert "more than the balance" in await rejected(
        account,
        PROMISE_TO_PAY,
        PromiseToPay,
        promised_date=today + timedelta(days=3),
        currency="CNY",
        amount="20000.00",
    )
    await promise(account, "1000.00", 5)
    assert "already 1 open promise" in await rejected(
        account, PROMISE_TO_PAY, PromiseToPay, promised_date=today + timedelta(days=4), **base
    )
    await account.days(8)  # broken at day 10
    await promise(account, "1000.00", 3)
    await account.days(6)  # broken again
    assert "2 promises broken: no more promises accepted" in await rejected(
        account, PROMISE_TO_PAY, PromiseToPay, promised_date=await account.today() + timedelta(days=3), **base
    )
    status = await account.status()
    assert status.broken_promises == 2 and status.stage == "strict"
    accepted = [
        e async for e in account.handle.fetch_history_events()
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    ]  # fmt: skip
    assert len(accepted) == 2, "a rejected update leaves no trace in the history"


async def agree_installment_plan(account: Account, amounts: list[str], every: int = 5) -> None:
    today = await account.today()
    terms = [InstallmentTerm(amount=a, due_date=today + timedelta(days=every * n)) for n, a in enumerate(amounts, 1)]
    await account.update(AGREE_INSTALLMENT_PLAN, AgreeInstallmentPlan, currency="CNY", installments=terms)


async def test_installment_plan_paid_in_full_closes_as_settled(account: Account) -> None:
    assert "sum to 8000.00" in await rejected(
        account, AGREE_INSTALLMENT_PLAN, AgreeInstallmentPlan, currency="CNY",
        installments=[InstallmentTerm(amount="4000.00", due_date=await account.today() + timedelta(days=n))
                      for n in (5, 10)],
    )  # fmt: skip
    # due days 6, 11, 16; reminders days 3, 8, 13
    await agree_installment_plan(account, ["4000.00", "4000.00", "4000.00"])
    for n in (1, 2, 3):
        await account.days(5)
        await account.pay(f"PAY-{n}", "4000.00")
    result = await account.result(timedelta(days=1))
    reminders = [f"plan-cmd-2-{n}-{channel}" for n in (1, 2, 3) for channel in ("sms", "email")]
    assert [s for s in account.steps() if not s.startswith("agreement-")] == ["d001-send_sms", *reminders]
    # Rules 8: the plan in writing, and, unsigned, a reminder (day 8) and the collector's chase (day 15)
    assert [s for s in account.steps() if s.startswith("agreement-")] == [
        "agreement-cmd-2", "agreement-cmd-2-reminder", "agreement-cmd-2-chase"
    ]  # fmt: skip
    assert [account.sent(r)["day"] for r in reminders[::2]] == [3, 8, 13]
    assert "4,000.00" in account.sent("plan-cmd-2-2-sms")["text"]
    assert result.outcome == "settled"
    assert [t.state for t in result.installment_plan.installments] == ["paid", "paid", "paid"]


async def test_a_plan_whose_agreement_is_signed_late_is_reminded_chased_then_acknowledged(account: Account) -> None:
    """Rules 8: the plan goes in writing at once; unsigned, the debtor is reminded on day 7 and a collector chases it
    on day 14; the signed copy comes on day 16: the chase closes and the limitation period restarts from it."""
    await agree_installment_plan(account, ["4000.00", "4000.00", "4000.00"], every=10)  # due days 11, 21, 31
    await account.days(10)
    await account.pay("PAY-1", "4000.00")
    await account.days(10)  # day 21
    status = await account.status()
    assert [(a.agreement_id, a.state) for a in status.agreements] == [("agreement-cmd-1", "awaiting_signature")]
    letter, reminder, chase = (account.sent(f"agreement-cmd-1{s}") for s in ("", "-reminder", "-chase"))
    assert letter["kind"] == "letter" and reminder["kind"] == "email" and chase["assignee_role"] == "collector"
    assert (reminder["day"] - letter["day"], chase["day"] - letter["day"]) == (7, 14)
    signed_on = await account.today() - timedelta(days=4)  # dated day 16, received on day 21
    status = await account.update(RECORD_SIGNATURE, RecordSignature, agreement_id="agreement-cmd-1",
                                  signed_on=signed_on, evidence_ref="SCAN-77")  # fmt: skip
    [agreement] = status.agreements
    assert (agreement.state, agreement.signed_on, agreement.recorded_by) == ("signed", signed_on, "tester")
    assert [t.state for t in status.tasks if t.key == "agreement-cmd-1-chase"] == ["done"]
    assert status.limitation_basis == "agreement-cmd-1 signed"  # after PAY-1's day 11
    await account.pay("PAY-2", "4000.00")
    await account.days(10)
    await account.pay("PAY-3", "4000.00")
    assert (await account.result(timedelta(days=1))).outcome == "settled"


async def test_installment_plan_defaulted_on_the_second_installment_resumes_at_strict(account: Account) -> None:
    await agree_installment_plan(account, ["4000.00", "4000.00", "4000.00"])
    await account.days(5)
    await account.pay("PAY-1", "4000.00")
    await account.days(9)  # day 15: the second installment (day 11) was judged missed at day 14
    status = await account.status()
    reminders = [f"plan-cmd-1-{n}-{channel}" for n in (1, 2, 3) for channel in ("sms", "email")]
    # The written demand is never skipped (rules 4): it goes first, the escalation with it (an internal task).
    ladder = ["d001-send_sms", *reminders, "d031-send_demand_letter", "d061-escalate_to_manager"]
    assert [s for s in account.steps() if not s.startswith("agreement-")] == ladder
    # Its agreement (day 1) was reminded on day 8; the plan over at day 14, nobody chases it on day 15.
    assert [s for s in account.steps() if s.startswith("agreement-")] == ["agreement-cmd-1", "agreement-cmd-1-reminder"]
    assert account.sent("d031-send_demand_letter")["day"] == account.sent("d061-escalate_to_manager")["day"] == 14
    assert status.installment_plan.state == "defaulted"
    assert [t.state for t in status.installment_plan.installments] == ["paid", "missed", "pending"]
    assert status.stage == "strict"
    assert "formal_demand stage was already over" in skipped(status, "d035-create_call_task")
    letter = next(h for h in status.history if h.step == "d031-send_demand_letter" and h.kind == "action")
    assert letter.detail.endswith("sent although the formal_demand stage was over: required before "
                                  "d075-send_final_notice")  # fmt: skip


async def test_dispute_upheld_on_one_invoice_cancels_it_and_the_rest_is_collected(account: Account) -> None:
    assert await account.send(event_id="evt-2", invoice_id="INV-2", amount="500.00") == "joined"
    await account.update(OPEN_DISPUTE, OpenDispute, reason="goods damaged", invoice_ids=["INV-2"])
    await account.days(2)
    email = account.sent("d003-send_email")
    assert "INV-1" in email["text"] and "INV-2" not in email["text"]  # no contact about the disputed invoice
    status = await account.update(RESOLVE_DISPUTE, ResolveDispute, dispute_id="cmd-1", resolution="upheld")
    assert [(b.currency, str(b.amount)) for b in status.balances] == [("CNY", "12000.00")]
    assert status.disputes[0].state == "upheld"
    await account.pay("PAY-1", "12000.00")
    result = await account.result(timedelta(days=1))
    assert account.steps() == ["d001-send_sms", "dispute-cmd-1-review", "d003-send_email"]
    review = account.sent("dispute-cmd-1-review")
    assert review["assignee_role"] == "supervisor" and "goods damaged" in review["text"]
    assert result.outcome == "paid"


async def test_dispute_rejected_resumes_with_deadlines_moved_by_the_time_held(account: Account) -> None:
    await account.update(OPEN_DISPUTE, OpenDispute, reason="never ordered")
    await account.days(15)  # nothing to the debtor; the supervisor is reminded after 14 days
    assert account.steps() == ["d001-send_sms", "dispute-cmd-1-review", "dispute-cmd-1-reminder-1"]
    assert (await account.status()).stage == "disputed"
    await account.update(RESOLVE_DISPUTE, ResolveDispute, dispute_id="cmd-1", resolution="rejected")
    await account.days(2)
    status = await account.status()
    assert account.steps()[-1] == "d003-send_email" and account.sent("d003-send_email")["day"] == 18
    assert status.held_days == 15 and status.disputes[0].state == "rejected"
    assert "already rejected" in await rejected(
        account, RESOLVE_DISPUTE, ResolveDispute, dispute_id="cmd-1", resolution="upheld"
    )


async def test_bankruptcy_stops_contact_opens_a_claim_for_legal_and_closes(account: Account) -> None:
    await account.days(1)
    await account.signal(REPORT_BANKRUPTCY, ReportBankruptcy, case_reference="(2026)沪03破12号")
    result = await account.result(timedelta(days=60))
    assert account.steps() == ["d001-send_sms", "bankruptcy-claim"]
    claim = account.sent("bankruptcy-claim")
    assert claim["assignee_role"] == "legal" and "(2026)沪03破12号" in claim["text"]
    assert result.outcome == "bankrupt"


async def test_lost_contact_then_new_details(account: Account) -> None:
    for channel in ("phone", "email"):
        for _ in range(3):
            at = await account.env.get_current_time()
            await account.signal(CONTACT_OUTCOME, ContactOutcome, channel=channel, result="no_answer", at=at)
    await account.days(2)  # day 3: the email is not sent
    status = await account.status()
    assert status.lost_contact_since is not None and status.contact_failures == {"phone": 3, "email": 3}
    assert "lost contact" in skipped(status, "d003-send_email")
    status = await account.update(UPDATE_CONTACT, UpdateContact, phone="+8613911112222")
    assert status.lost_contact_since is None
    # The skip trace was due on day 3 at 09:00: the supervisor heard of it; new details end it (its reason is gone).
    [trace] = status.tasks
    assert (trace.key, trace.state, trace.outcome) == ("skip-trace-1", "done", "new contact details recorded")
    await account.days(7)  # day 10: the SMS goes to the new number
    assert account.steps() == ["d001-send_sms", "skip-trace-1", "work-skip-trace-1-overdue-1", "d010-send_sms"]
    assert account.sent("skip-trace-1")["assignee_role"] == "collector"
    assert account.sent("d010-send_sms")["recipient"] == "+8613911112222"


async def test_pause_and_resume_move_the_deadlines(account: Account) -> None:
    await account.days(1)
    now = await account.env.get_current_time()
    assert "not in the future" in await rejected(account, PAUSE, Pause, reason="x", until=now - timedelta(hours=1))
    assert "not paused" in await rejected(account, RESUME, Resume)
    await account.update(PAUSE, Pause, reason="customer visit agreed", until=now + timedelta(days=20))
    await account.days(5)  # day 7: the day-3 email waits
    assert account.steps() == ["d001-send_sms"]
    assert "paused by tester" in (await account.status()).held
    await account.update(RESUME, Resume, reason="visit done")
    await account.days(1)
    assert account.steps() == ["d001-send_sms", "d003-send_email"]
    assert account.sent("d003-send_email")["day"] == 8 and (await account.status()).held_days == 5


async def test_a_command_in_the_first_workflow_task_finds_the_account_s_rules(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    """A write-off sent right after the start, before any worker ran the account, arrives in the same workflow task as
    the start: it waits for approval like any other (under rules 0 it closed the account at once). On the dev server:
    the time-skipping one never hands the first task to a worker that starts after the update."""
    account = Account(dev_env, tmp_path)
    invoice = overdue(account_id=account.id, occurred_at=await dev_env.get_current_time())
    await dev_env.client.start_workflow(  # as the ingest starts it (its verdict query would wait for a worker)
        CollectionWorkflow.run, CollectionInput(account_id=account.id, policy=policy_for(account.book, invoice)),
        id=workflow_id(account.id), task_queue=account.queue, start_signal=INVOICE_OVERDUE, start_signal_args=[invoice],
    )  # fmt: skip
    write_off = asyncio.create_task(account.update(WRITE_OFF, WriteOff, reason="debtor dissolved"))
    await asyncio.sleep(0.5)  # the update is with the server, waiting for the first workflow task
    async with account:
        status = await write_off
        assert [p.step for p in status.pending_approvals] == ["write-off-1"] and status.outcome is None
        events = (await account.handle.fetch_history()).events
        tasks = [e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
        [accepted] = [
            e.event_id for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
        ]
        assert [t for t in tasks if t < accepted] == tasks[:1]  # accepted by the first task, which started the account


async def test_write_off_waits_for_a_manager_then_closes_the_account(account: Account) -> None:
    """Seed 000: write-offs need multi-level approval. The standard matrix: a manager below 50,000."""
    status = await account.update(WRITE_OFF, WriteOff, reason="below collection threshold")
    [pending] = status.pending_approvals
    assert (pending.step, pending.approver, pending.needed, pending.requested_by) == (
        "write-off-1", "manager", "manager", "tester"
    )  # fmt: skip
    assert "already waits" in await rejected(account, WRITE_OFF, WriteOff, reason="again")
    assert "needs a manager or above" in await rejected(
        account, APPROVE_ACTION, ApprovalDecision, step="write-off-1", reason="ok", approver_level="supervisor"
    )
    four_eyes = ApprovalDecision(command_id="own", by="tester", step="write-off-1", reason="mine",
                                 approver_level="general_manager")  # fmt: skip
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await account.handle.execute_update(APPROVE_ACTION, four_eyes, result_type=AccountStatus)
    assert "four eyes" in str(refused.value.cause) and refused.value.cause.type == "CommandForbidden"
    await account.days(1)
    assert (await account.status()).outcome is None  # still open while it waits
    manager = ApprovalDecision(command_id="mgr", by="li.manager", step="write-off-1", reason="agreed",
                               approver_level="manager")  # fmt: skip
    await account.handle.execute_update(APPROVE_ACTION, manager, result_type=AccountStatus)
    result = await account.result(timedelta(days=1))
    assert result.outcome == "written_off"
    assert "asked by tester, approved by li.manager" in next(h.detail for h in result.history if h.kind == "closed")
    assert [s for s in account.steps() if s.startswith("d")] == ["d001-send_sms"]
    assert account.sent("approval-write-off-1-L1")["assignee_role"] == "manager"


async def decide(account: Account, name: str, step: str, reason: str) -> None:
    await account.update(name, ApprovalDecision, step=step, reason=reason, approver_level="general_manager")


async def test_a_settlement_approved_offered_in_writing_and_paid_in_time_closes_the_account_settled(
    account: Account,
) -> None:
    await account.days(40)  # day 41: past the demand letter
    expires = await account.today() + timedelta(days=14)
    status = await account.update(OFFER_SETTLEMENT, OfferSettlement, currency="CNY", settle_for=Decimal("6000.00"),
                                  expires_on=expires, reason="closes its business this month")  # fmt: skip
    [pending] = status.pending_approvals
    assert (pending.step, pending.approver) == ("settlement-cmd-1", "manager")  # 6,000 given up
    boss = ApprovalDecision(
        command_id="ok-settle", by="li.manager", step="settlement-cmd-1", reason="worth it", approver_level="manager"
    )  # fmt: skip  (not the one who offered it: four eyes)
    await account.handle.execute_update(APPROVE_ACTION, boss, result_type=AccountStatus)
    await account.days(1)
    offer = account.sent("settlement-cmd-1-offer")
    assert offer["kind"] == "letter" and offer["address"]["city"] == "上海市"
    assert "settlement cmd-1 offered: 6000.00 CNY" in ((await account.status()).held or "")
    await account.pay("PAY-SETTLE", "6000.00")
    result = await account.result(timedelta(days=1))
    assert result.outcome == "settled"
    [settled] = result.settlements
    assert (settled.state, settled.discount, settled.pay) == ("settled", Decimal("6000.00"), Decimal("6000.00"))
    closed = next(h.detail for h in result.history if h.kind == "closed")
    assert "settlement cmd-1 paid: 6000.00 CNY; waived interest 0.00, fees 0.00, principal 6000.00" in closed


async def test_approval_granted_then_rejected_lawyer_letter_keeps_the_account_in_strict(account: Account) -> None:
    await account.days(89)  # day 90: the order lock awaits the general manager (seed 002: the boss consents)
    status = await account.status()
    assert [(p.step, p.approver) for p in status.pending_approvals] == [("d090-lock_new_orders", "general_manager")]
    await decide(account, APPROVE_ACTION, "d090-lock_new_orders", "agreed")
    await account.days(1)  # day 91: the lawyer's letter awaits
    await decide(account, REJECT_ACTION, "d091-issue_lawyer_letter", "customer negotiating, not yet")
    await account.days(30)
    status = await account.status()
    ladder = [s for s in account.steps() if s.startswith("d")]
    assert ladder == [step for step, day in STANDARD_LADDER if day <= 90]  # no lawyer's letter, no litigation
    assert account.sent("d090-lock_new_orders")["assignee_role"] == "sales_operations"
    assert "rejected by tester: customer negotiating" in skipped(status, "d091-issue_lawyer_letter")
    assert status.stage == "strict" and status.stage_cap == "strict" and status.pending_approvals == []
    assert "no approval request for d105" in await rejected(
        account, APPROVE_ACTION, ApprovalDecision, step="d105-open_litigation_task", reason="x"
    )


async def test_approval_escalates_after_silence(account: Account) -> None:
    await account.update(WRITE_OFF, WriteOff, reason="debtor dissolved")
    await account.days(5)  # asked the manager on day 1, reminded on days 3 and 5, escalated on day 6
    await account.days(0.5)
    status = await account.status()
    tasks = [r for r in account.delivered() if r["action"] == "request_approval"]
    prefix = "approval-write-off-1"
    assert [(r["step"], r["assignee_role"]) for r in tasks] == [
        (f"{prefix}-L1", "manager"),
        (f"{prefix}-L1-reminder-1", "manager"),
        (f"{prefix}-L1-reminder-2", "manager"),
        (f"{prefix}-L2", "general_manager"),
    ]
    assert [(p.step, p.approver, p.needed) for p in status.pending_approvals] == [
        ("write-off-1", "general_manager", "manager")
    ]  # escalated, a manager may still decide
    assert "Who may decide: a manager or above, other than tester" in account.sent(f"{prefix}-L1")["text"]
    assert status.outcome is None and Decimal(status.balances[0].amount) == Decimal("12000.00")


async def test_money_in_another_currency_is_a_supervisors_task_and_the_close_reason_says_so(account: Account) -> None:
    """Issue 13: 50 USD on a CNY account was kept unapplied, and the account closed as paid with nobody told."""
    await account.pay("PAY-USD", "50.00", "USD")
    await account.days(1)
    status = await account.status()
    assert status.unapplied == {"USD": Decimal("50.00")} and status.outcome is None
    assert "unapplied    50.00 USD received but paid nothing" in status.describe()
    task = account.sent("unapplied-PAY-USD")
    assert (task["kind"], task["recipient"]) == ("task", "supervisor")
    assert task["text"].startswith("Review unapplied money on account")
    assert "$50.00 of payment PAY-USD paid nothing" in task["text"]

    await account.pay("PAY-CNY", "12000.00")
    final = await account.result()
    assert final.outcome == "paid"
    closing = next(h.detail for h in final.history if h.kind == "closed")
    assert closing == ("paid: every invoice is paid in full; 50.00 USD received but unapplied: a supervisor reviews "
                       "it (refund or reallocation)")  # fmt: skip
