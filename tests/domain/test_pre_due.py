"""An account before its due date: the pre-due steps of the ladder, no interest, its status, and the debtor's answer
to the balance confirmation letter (confirm_balance)."""

from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from domain.account import AccountState
from domain.commands import ConfirmBalance
from domain.planner import Act, Close, Wait, limitation_of, plan
from domain.policy_book import PolicyBook
from domain.rerouting import CommandRejected, apply_confirm_balance, check_confirm_balance
from domain.status import account_status
from tests.domain.simulate import days, open_account, simulate
from tests.factories import overdue, payment

BOOK = PolicyBook()
STANDARD = BOOK.for_segment("standard")
SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUED = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)  # a Thursday, 09:00 in Shanghai: 20 days before the due date
DUE = date(2026, 11, 25)  # day -15 is Tuesday 10 November, day -7 Wednesday 18 November: no holiday in either


def issued(segment: str = "standard", **event: object) -> AccountState:
    policy = BOOK.for_segment(segment)
    return open_account(policy, ISSUED, event_type="invoice.issued", due_date=DUE, segment=segment, **event)


def confirm(n: int = 1, **fields: object) -> ConfirmBalance:
    return ConfirmBalance.model_validate({"command_id": f"cb-{n}", "by": "li.na"} | fields)


def test_issued_at_day_minus_20_the_standard_ladder_confirms_then_reminds_and_a_payment_closes_it() -> None:
    state = issued()
    assert state.events == {"evt-1": "started"}
    pay_at = datetime.combine(date(2026, 11, 24), time(15), SHANGHAI)  # day -1
    run = simulate(state, ISSUED, ISSUED + days(60), {pay_at: lambda s, now: s.add_payment(payment(at=now), now)})
    assert run.ladder == [("d-15-send_confirmation_letter", -15), ("d-07-send_email", -7)]
    when = {key: at.astimezone(SHANGHAI) for key, _, at in run.acted}
    assert when["d-15-send_confirmation_letter"] == datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)
    assert when["d-07-send_email"] == datetime(2026, 11, 18, 9, 0, tzinfo=SHANGHAI)
    letter, email = run.requests
    assert (letter.template, letter.stage, letter.deadline) == ("balance_confirmation", "pre_due", date(2026, 11, 20))
    assert (email.template, email.days_past_due, email.oldest_due_date) == ("pre_due_reminder", -7, DUE)
    assert run.outcome == "paid" and not run.skipped


def test_accelerated_adds_an_sms_three_days_before() -> None:
    state = issued("high_risk")
    run = simulate(state, ISSUED, ISSUED + days(19))
    assert state.policy.name == "accelerated"
    assert [key for key, _ in run.ladder] == ["d-15-send_confirmation_letter", "d-07-send_email", "d-03-send_sms"]


def test_no_interest_before_the_due_date() -> None:
    state = issued("commercial")
    assert state.invoices[0].daily_rate > 0
    for day in (ISSUED, ISSUED + days(19)):
        state.accrue(day)
        assert state.invoices[0].interest_due() == 0 and state.balances(day) == {"CNY": Decimal("12000.00")}
    state.accrue(ISSUED + days(30))  # ten days past due
    assert state.invoices[0].interest_due() > 0


def test_the_status_before_the_due_date_is_pre_due_with_negative_days() -> None:
    state = issued()
    status = account_status(state, ISSUED)
    assert (status.stage, status.days_past_due, status.ladder_day) == ("pre_due", -20, -20)
    assert status.next_action is not None and status.next_action.step == "d-15-send_confirmation_letter"
    assert status.next_action.at == datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)
    assert status.limitation_date == date(2029, 11, 25)
    assert isinstance(plan(state, ISSUED), Wait)


def test_a_confirmation_is_evidence_and_restarts_the_limitation_period() -> None:
    state = issued()
    at = ISSUED + days(400)  # a year on, still unpaid
    check_confirm_balance(state, confirm(answer="confirmed", evidence_ref="SCAN-9"), at)
    apply_confirm_balance(state, confirm(answer="confirmed", evidence_ref="SCAN-9"), at)
    [record] = state.contact_records
    assert (record.channel, record.result, record.by, record.agreed, record.evidence_ref, record.logged) == (
        "confirmation", "confirmed", "li.na", "balance 12000.00 CNY", "SCAN-9", False
    )  # fmt: skip
    assert state.history[-1].detail == (
        "confirm_balance by li.na: balance confirmed: balance 12000.00 CNY (evidence SCAN-9) [cb-1]"
    )
    assert limitation_of(state) == (date(2030, 12, 10), "balance confirmed (cb-1)")
    assert not state.disputes


def test_a_balance_already_confirmed_is_not_asked_again_until_an_invoice_joins() -> None:
    state = issued()
    apply_confirm_balance(state, confirm(answer="confirmed"), ISSUED + days(1))
    next_action = account_status(state, ISSUED + days(1)).next_action
    assert next_action is not None and next_action.step == "d-07-send_email"  # not the letter it will skip
    run = simulate(state, ISSUED + days(1), ISSUED + days(19))
    assert run.ladder == [("d-07-send_email", -7)]
    assert run.skipped == [
        ("d-15-send_confirmation_letter", "the balance was confirmed on 2026-11-06 and no invoice joined since")
    ]

    joined = issued()
    apply_confirm_balance(joined, confirm(answer="confirmed"), ISSUED + days(1))
    joining = overdue(event_id="evt-2", invoice_id="INV-2", amount="500.00", occurred_at=ISSUED + days(2),
                      due_date=DUE, event_type="invoice.issued")  # fmt: skip
    assert joined.add_invoice(joining, ISSUED + days(2)) == "joined"
    run = simulate(joined, ISSUED + days(2), ISSUED + days(19))
    assert [key for key, _ in run.ladder] == ["d-15-send_confirmation_letter", "d-07-send_email"]


def test_a_rejection_opens_a_dispute_on_the_invoices_named_and_its_review_follows() -> None:
    state = issued()
    rejected = confirm(answer="rejected", reason="INV-1 was invoiced twice", invoice_ids=["INV-1"])
    check_confirm_balance(state, rejected, ISSUED)
    apply_confirm_balance(state, rejected, ISSUED)
    [dispute] = state.disputes
    assert (dispute.dispute_id, dispute.invoice_ids, dispute.state, dispute.opened_by) == (
        "cb-1.dispute", ["INV-1"], "open", "li.na"
    )  # fmt: skip
    assert dispute.reason == "balance confirmation rejected: INV-1 was invoiced twice"
    assert limitation_of(state) == (date(2029, 11, 25), "due date 2026-11-25"), "a rejection acknowledges nothing"
    decision = plan(state, ISSUED)
    assert isinstance(decision, Act) and decision.step.key == "dispute-cb-1.dispute-review"
    apply_confirm_balance(state, rejected, ISSUED)  # the same command again: applied once
    assert len(state.disputes) == 1 and len(state.contact_records) == 1


def test_a_rejection_of_the_whole_balance_holds_the_ladder() -> None:
    state = issued()
    apply_confirm_balance(state, confirm(answer="rejected", reason="we never ordered this"), ISSUED)
    assert state.disputes[0].invoice_ids == [] and state.disputed_ids() is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"answer": "rejected"}, "a rejected balance needs the reason the debtor gives"),
        ({"answer": "confirmed", "invoice_ids": ["INV-1"]}, "invoice_ids name what a rejection contests"),
        ({"answer": "maybe"}, "Input should be 'confirmed' or 'rejected'"),
    ],
)
def test_a_malformed_answer_is_refused_at_the_edge(fields: dict, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        confirm(**fields)


def test_an_unknown_invoice_or_a_closed_account_is_refused() -> None:
    state = issued()
    with pytest.raises(CommandRejected, match="no unpaid invoice INV-9 on this account"):
        check_confirm_balance(state, confirm(answer="rejected", reason="x", invoice_ids=["INV-9"]), ISSUED)
    apply_confirm_balance(state, confirm(3, answer="confirmed"), ISSUED)
    state.add_payment(payment(at=ISSUED), ISSUED)
    closing = plan(state, ISSUED)
    assert isinstance(closing, Close)
    state.close(ISSUED, closing.outcome, closing.reason)
    with pytest.raises(CommandRejected, match=r"the account is closed \(paid\)"):
        check_confirm_balance(state, confirm(2, answer="confirmed"), ISSUED)
    check_confirm_balance(state, confirm(3, answer="confirmed"), ISSUED)  # a repeat passes, and changes nothing
