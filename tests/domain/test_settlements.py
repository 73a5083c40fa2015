"""Settlements and waivers (domain.settlements): an offer waits for approval by the amount given up, goes to the
debtor in writing and holds the ladder; paid in time the account closes `settled` with what was waived recorded
apart; not paid, it lapses and the balance stands."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.account import AccountState
from domain.commands import ApprovalDecision, OfferSettlement
from domain.kinds import ActionKind
from domain.planner import hold
from domain.policy_book import PolicyBook
from domain.rerouting import CommandRejected, apply_decision, apply_settlement, check_settlement
from domain.status import account_status
from tests.domain.simulate import days, open_account, simulate
from tests.factories import payment

BOOK = PolicyBook()
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Shanghai; due the day before


def offer(command_id: str = "s-1", **fields: object) -> OfferSettlement:
    terms = {"currency": "CNY", "expires_on": date(2026, 5, 15), "reason": "pays this month if we waive"} | fields
    return OfferSettlement(command_id=command_id, by="li.na", **terms)


def offered(state: AccountState, command: OfferSettlement, at: datetime, approver: str = "wang.fang") -> None:
    check_settlement(state, command, at)
    apply_settlement(state, command, at)
    key = f"settlement-{command.command_id}"
    apply_decision(state, ApprovalDecision(command_id=f"ok-{key}", by=approver, step=key, reason="fine"), at, True)


def test_a_discount_paid_in_time_closes_the_account_settled_with_the_principal_waived() -> None:
    state = simulate(open_account(BOOK.for_segment("standard"), START), START, START + days(40)).state
    at = START + days(40)
    check_settlement(state, offer(settle_for=Decimal("6000.00")), at)
    apply_settlement(state, offer(settle_for=Decimal("6000.00")), at)
    [approval] = [a for a in state.approvals.values() if a.subject == "settlement"]
    assert (approval.step, approval.needed) == ("settlement-s-1", 1)  # 6,000 given up: the standard matrix's manager
    assert hold(state) is None  # not offered before it is approved
    decide = ApprovalDecision(command_id="ok", by="wang.fang", step="settlement-s-1", reason="fine")
    apply_decision(state, decide, at, approve=True)
    terms = "6000.00 CNY in full settlement of 12000.00 by 2026-05-15 (a discount)"
    assert hold(state) == f"settlement s-1 offered: {terms}"
    pays = {START + days(50): lambda s, now: s.add_payment(payment("PAY-1", "6000.00", at=now), now)}
    run = simulate(state, at, START + days(120), pays)
    [letter] = [r for r in run.requests if r.action == ActionKind.SETTLEMENT_OFFER]
    assert letter.details["pay"] == "6000.00" and letter.details["expires_on"] == "2026-05-15"
    assert run.outcome == "settled"
    settled = account_status(run.state, START + days(51)).settlements[0]
    assert (settled.state, settled.discount, settled.waived_interest, settled.waived_fees) == (
        "settled", Decimal("6000.00"), 0, 0
    )  # fmt: skip
    assert run.state.cancelled == 0 and run.state.invoices[0].amount == Decimal("12000.00")  # the invoice stands
    assert run.state.invoices[0].principal_waived == Decimal("6000.00")
    ladder = [key for key, _ in run.ladder if key > "d041"]
    assert ladder == [], "no ladder step while the offer stood"


def test_waived_interest_and_fees_are_recorded_apart_when_it_settles() -> None:
    state = simulate(open_account(BOOK.for_segment("commercial"), START, segment="commercial"), START,
                     START + days(70)).state  # fmt: skip
    at = START + days(70)
    [balance] = state.balance_lines(at)
    assert balance.interest > 0 and balance.fees > 0
    offered(state, offer(waive_interest=True, waive_fees=True, expires_on=date(2026, 6, 10)), at)
    [approval] = [a for a in state.approvals.values() if a.subject == "settlement"]
    assert approval.about.startswith(f"12000.00 CNY in full settlement of {balance.amount}")
    pays = {at + days(3): lambda s, now: s.add_payment(payment("PAY-1", "12000.00", at=now), now)}
    run = simulate(state, at, START + days(120), pays)
    assert run.outcome == "settled"
    [settled] = run.state.settlements
    assert settled.waived_fees == balance.fees and settled.discount == 0
    assert settled.waived_interest >= balance.interest  # and what accrued while the offer stood


def test_an_offer_not_paid_by_its_date_lapses_and_the_balance_and_ladder_return() -> None:
    state = simulate(open_account(BOOK.for_segment("standard"), START), START, START + days(40)).state
    at = START + days(40)
    offered(state, offer(settle_for=Decimal("9000.00"), expires_on=date(2026, 4, 30)), at)
    part = {START + days(45): lambda s, now: s.add_payment(payment("PAY-1", "5000.00", at=now), now)}
    run = simulate(state, at, START + days(80), part)
    [lapsed] = run.state.settlements
    assert lapsed.state == "lapsed" and run.outcome is None and run.state.cancelled == 0
    assert run.state.balances(START + days(80)) == {"CNY": Decimal("7000.00")}
    lapse = next(h for h in run.state.history if h.kind == "settlement")
    assert lapse.detail == "settlement s-1 lapsed: 5000.00 of 9000.00 CNY paid by 2026-04-30; the balance stands"
    assert lapse.at == datetime(2026, 5, 1, 1, 0, tzinfo=UTC)  # the morning after, 09:00 in Shanghai
    assert [key for key, _ in run.ladder if key > "d041"], "the ladder goes on after the lapse"
    assert account_status(run.state, START + days(80)).held_days == 11  # April 20 to May 1: the offer held it


def test_a_rejected_offer_never_reaches_the_debtor() -> None:
    state = simulate(open_account(BOOK.for_segment("standard"), START), START, START + days(40)).state
    at = START + days(40)
    apply_settlement(state, offer(settle_for=Decimal("9000.00")), at)
    no = ApprovalDecision(command_id="no", by="wang.fang", step="settlement-s-1", reason="too generous")
    apply_decision(state, no, at, approve=False)
    run = simulate(state, at, START + days(60))
    assert run.state.settlements[0].state == "rejected"
    assert not [r for r in run.requests if r.action == ActionKind.SETTLEMENT_OFFER]


def rejected(state: AccountState, command: OfferSettlement, now: datetime) -> str:
    with pytest.raises(CommandRejected) as refused:
        check_settlement(state, command, now)
    return str(refused.value)


def test_an_offer_is_checked_before_it_is_recorded() -> None:
    state = simulate(open_account(BOOK.for_segment("standard"), START), START, START + days(40)).state
    at = START + days(40)
    assert "an offer gives something up" in rejected(state, offer(waive_interest=True), at)  # no interest here
    assert "an offer gives something up" in rejected(state, offer(settle_for=Decimal("12000.00")), at)
    assert "nothing is owed in USD" in rejected(state, offer(currency="USD", settle_for=Decimal("1")), at)
    past = offer(settle_for=Decimal("1"), expires_on=date(2026, 4, 1))
    assert "expires_on is from today" in rejected(state, past, at)
    too_far = offer(settle_for=Decimal("1"), expires_on=date(2026, 8, 1))
    assert "90 days on" in rejected(state, too_far, at)
    apply_settlement(state, offer(settle_for=Decimal("9000.00")), at)
    assert "settlement s-1 stands (pending_approval)" in rejected(state, offer("s-2", settle_for=Decimal("9500")), at)
    with pytest.raises(ValidationError, match="an offer waives the interest, the fees, or settles for an amount"):
        offer()
