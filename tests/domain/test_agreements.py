"""Written repayment agreements (domain.agreements, rules 8): a plan or a large promise in writing, sent for signature,
chased when unsigned (an email, then a collector's task), its signature an acknowledgement that restarts the
limitation period; with `in_force = "on_signature"` a plan takes effect only once signed."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.account import AccountState
from domain.arrangements import Installment
from domain.commands import AgreeInstallmentPlan, InstallmentTerm, PromiseToPay, RecordSignature
from domain.kinds import ActionKind
from domain.planner import hold, limitation_of
from domain.policy import AgreementRules, Policy
from domain.policy_book import PolicyBook
from domain.rerouting import (
    CommandRejected,
    apply_installment_plan,
    apply_promise,
    apply_signature,
    check_installment_plan,
    check_signature,
)
from tests.domain.simulate import days, open_account, simulate
from tests.factories import payment

STANDARD = PolicyBook().for_segment("standard")
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Shanghai; due the day before
AGREED = START + days(40)  # day 41


def with_agreements(**rules: object) -> Policy:
    return STANDARD.model_copy(update={"agreements": AgreementRules.model_validate(rules)})


def plan(state: AccountState, at: datetime = AGREED) -> None:
    terms = [InstallmentTerm(amount=Decimal("4000.00"), due_date=date(2026, 5, 15) + timedelta(days=30 * n))
             for n in range(3)]  # fmt: skip
    command = AgreeInstallmentPlan(command_id="p-1", by="li.na", currency="CNY", installments=terms)
    check_installment_plan(state, command, at)
    apply_installment_plan(state, command, at)


def signed(on: date, command_id: str = "sig-1") -> RecordSignature:
    return RecordSignature(command_id=command_id, by="ops-key", agreement_id="agreement-p-1", signed_on=on,
                           evidence_ref="SCAN-2026-0512")  # fmt: skip


def test_a_plan_goes_in_writing_and_an_unsigned_agreement_is_reminded_then_chased() -> None:
    state = simulate(open_account(STANDARD, START), START, AGREED).state
    plan(state)
    run = simulate(state, AGREED, AGREED + days(20))
    kinds = {r.step: r for r in run.requests if r.step.startswith("agreement-p-1")}
    letter = kinds["agreement-p-1"]
    assert letter.action == ActionKind.REPAYMENT_AGREEMENT and letter.installment_plan is not None
    assert [t.amount for t in letter.installment_plan.installments] == [Decimal("4000.00")] * 3
    assert letter.details["grace_days"] == "3" and letter.details["sign_within_days"] == "7"
    reminder, chase = kinds["agreement-p-1-reminder"], kinds["agreement-p-1-chase"]
    assert reminder.action == ActionKind.AGREEMENT_REMINDER and chase.assignee_role == "collector"
    when = {key: at for key, _, at in run.acted}
    assert when["agreement-p-1-reminder"] >= AGREED + days(7) and when["agreement-p-1-chase"] >= AGREED + days(14)
    assert run.state.work["agreement-p-1-chase"].state == "open"
    assert hold(run.state) == "installment plan p-1 in force"  # in force on agreement: the standard policy


def test_the_signature_acknowledges_the_debt_and_closes_the_chase() -> None:
    state = simulate(open_account(STANDARD, START), START, AGREED).state
    plan(state)
    state = simulate(state, AGREED, AGREED + days(20)).state
    now = AGREED + days(20)
    check_signature(state, signed(date(2026, 5, 8)), now)
    apply_signature(state, signed(date(2026, 5, 8)), now)
    [agreement] = state.agreements
    assert (agreement.state, agreement.signed_on, agreement.evidence_ref) == ("signed", date(2026, 5, 8),
                                                                             "SCAN-2026-0512")  # fmt: skip
    assert state.work["agreement-p-1-chase"].state == "done"
    assert limitation_of(state) == (date(2029, 5, 8), "agreement-p-1 signed")
    later = simulate(state, now, now + days(10))
    assert not [r for r in later.requests if r.step.startswith("agreement-p-1-")], "nothing more to chase"


def test_on_signature_a_plan_holds_nothing_until_it_is_signed_late() -> None:
    policy = with_agreements(in_force="on_signature")
    state = simulate(open_account(policy, START), START, AGREED).state
    plan(state)
    assert state.installment_plan is not None and state.installment_plan.state == "awaiting_signature"
    assert hold(state) is None
    run = simulate(state, AGREED, AGREED + days(16))
    assert [key for key, _ in run.ladder if key > "d041"] == ["d045-send_sms"], "the ladder goes on meanwhile"
    now = AGREED + days(16)
    apply_signature(run.state, signed(date(2026, 5, 5)), now)
    assert run.state.installment_plan is not None and run.state.installment_plan.state == "active"
    assert hold(run.state) == "installment plan p-1 in force"


def test_a_promise_needs_an_agreement_from_the_policy_s_threshold() -> None:
    policy = with_agreements(promise_threshold="5000")
    state = simulate(open_account(policy, START), START, AGREED).state
    small = PromiseToPay(command_id="pr-1", by="li.na", amount=Decimal("4999.99"), currency="CNY",
                         promised_date=date(2026, 4, 30))  # fmt: skip
    apply_promise(state, small, AGREED)
    assert state.agreements == []
    large = small.model_copy(update={"command_id": "pr-2", "amount": Decimal("5000.00")})
    state.promises[0].state = "kept"
    apply_promise(state, large, AGREED)
    [agreement] = state.agreements
    assert (agreement.about, agreement.ref) == ("promise", "pr-2")
    [letter] = [r for r in simulate(state, AGREED, AGREED + days(1)).requests if r.step == "agreement-pr-2"]
    assert (letter.details["promise_amount"], letter.details["promise_date"]) == ("5000.00", "2026-04-30")


def rejected(state: AccountState, command: RecordSignature, now: datetime) -> str:
    with pytest.raises(CommandRejected) as refused:
        check_signature(state, command, now)
    return str(refused.value)


def test_a_signature_is_checked_against_its_agreement() -> None:
    state = simulate(open_account(STANDARD, START), START, AGREED).state
    assert "no agreement agreement-p-1 on this account (its agreements: none)" in rejected(
        state, signed(date(2026, 4, 25)), AGREED
    )
    plan(state)
    assert "is not between the agreement (2026-04-20) and today" in rejected(state, signed(date(2026, 4, 19)), AGREED)
    assert "is not between the agreement" in rejected(state, signed(date(2026, 4, 21)), AGREED)  # tomorrow
    apply_signature(state, signed(date(2026, 4, 20)), AGREED)
    check_signature(state, signed(date(2026, 4, 20)), AGREED)  # the same command again: applied once
    assert "is signed already (2026-04-20, SCAN-2026-0512)" in rejected(state, signed(date(2026, 4, 20), "x"), AGREED)


LONG_PLANS = STANDARD.model_copy(
    update={"installments": STANDARD.installments.model_copy(update={"max_horizon_days": 200})}
)


def seed_001_plan() -> AccountState:
    """Seed 001: 「拆分為3-6期」「3期免息+第4期起按日息萬分之二」「小額手續費」: six monthly installments, the
    first a down payment with a 50.00 fee, interest at 0.02% a day from the fourth."""
    terms = [InstallmentTerm(amount=Decimal("2000.00"), due_date=date(2026, 5, 1) + timedelta(days=30 * n))
             for n in range(6)]  # fmt: skip
    command = AgreeInstallmentPlan(command_id="p-1", by="li.na", currency="CNY", installments=terms, down_payment=True,
                                   fee=Decimal("50.00"), interest_free=3, daily_rate=Decimal("0.0002"))  # fmt: skip
    long_plans = STANDARD.installments.model_copy(update={"max_horizon_days": 200})
    state = simulate(open_account(STANDARD.model_copy(update={"installments": long_plans}), START), START, AGREED).state
    check_installment_plan(state, command, AGREED)
    apply_installment_plan(state, command, AGREED)
    return state


def paying(installments: list[Installment]) -> dict[datetime, Callable[[AccountState, datetime], object]]:
    """Each installment paid in full at 10:00 Shanghai time on its due date (after its interest fell due)."""
    return {
        datetime(t.due_date.year, t.due_date.month, t.due_date.day, 2, tzinfo=UTC): (
            lambda s, now, n=n, amount=t.amount: s.add_payment(payment(f"PAY-{n}", str(amount), at=now), now)
        )
        for n, t in enumerate(installments, 1)
    }


def test_seed_001_terms_a_down_payment_a_fee_then_interest_after_three_free_installments() -> None:
    state = seed_001_plan()
    plan_terms = state.installment_plan.installments  # type: ignore[union-attr]
    assert [(t.amount, t.fee, t.interest, t.down_payment) for t in plan_terms] == [
        (Decimal("2050.00"), Decimal("50.00"), 0, True), (Decimal("2000.00"), 0, 0, False),
        (Decimal("2000.00"), 0, 0, False),
        (Decimal("2036.00"), 0, Decimal("36.00"), False),  # 6,000 still owed × 0.02% × 30 days
        (Decimal("2024.00"), 0, Decimal("24.00"), False), (Decimal("2012.00"), 0, Decimal("12.00"), False),
    ]  # fmt: skip
    assert state.balances(AGREED) == {"CNY": Decimal("12050.00")}  # the fee is owed at once, the interest when due
    run = simulate(state, AGREED, AGREED + days(200), paying(plan_terms))
    assert run.outcome == "settled"
    charged = {c.charge_id: (c.amount, c.owed) for c in run.state.charges if c.stage == "plan"}
    assert charged == {
        "plan-p-1-fee": (Decimal("50.00"), 0),
        "plan-p-1-4-interest": (Decimal("36.00"), 0),
        "plan-p-1-5-interest": (Decimal("24.00"), 0),
        "plan-p-1-6-interest": (Decimal("12.00"), 0),
    }
    assert all(not p.unapplied for p in run.state.payments)  # each installment's interest paid on its own day


def test_a_plan_that_defaults_never_charges_the_interest_of_installments_not_yet_due() -> None:
    state = seed_001_plan()
    terms = state.installment_plan.installments  # type: ignore[union-attr]
    run = simulate(state, AGREED, AGREED + days(200), paying(terms[:4]))  # the fifth is never paid
    assert run.state.installment_plan.state == "defaulted"  # type: ignore[union-attr]
    charged = {c.charge_id: c.owed for c in run.state.charges if c.stage == "plan"}
    # The fifth's interest fell due (and is owed: its installment was missed); the sixth's never did.
    assert charged == {"plan-p-1-fee": 0, "plan-p-1-4-interest": 0, "plan-p-1-5-interest": Decimal("24.00")}


def test_plan_terms_are_checked_where_they_arrive() -> None:
    terms = [InstallmentTerm(amount=Decimal("6000.00"), due_date=date(2026, 5, 1)),
             InstallmentTerm(amount=Decimal("6000.00"), due_date=date(2026, 6, 1))]  # fmt: skip
    with pytest.raises(ValueError, match="interest_free and daily_rate go together"):
        AgreeInstallmentPlan(command_id="x", by="li.na", currency="CNY", installments=terms, interest_free=1)
    with pytest.raises(ValueError, match="leaves no installment to carry the rate"):
        AgreeInstallmentPlan(command_id="x", by="li.na", currency="CNY", installments=terms, interest_free=2,
                             daily_rate=Decimal("0.0002"))  # fmt: skip
    with pytest.raises(ValueError, match=r"less than or equal to 0\.001"):
        AgreeInstallmentPlan(command_id="x", by="li.na", currency="CNY", installments=terms, interest_free=1,
                             daily_rate=Decimal("0.01"))  # fmt: skip
