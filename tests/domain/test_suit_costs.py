"""The cost test before suing (domain.court_fees, domain.suit_costs): the PRC's court fee bands as data, the cost of
suing against the debt, and what the approver of the litigation step sees."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.court_fees import FeeSchedule, load_schedule
from domain.policy_book import PolicyBook
from domain.status import account_status, describe
from tests.domain.simulate import days, open_account, simulate

CN = load_schedule("cn")
STANDARD = PolicyBook().for_segment("standard")
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "filing", "enforcement", "preservation"),
    [
        ("5000", "50.00", "50.00", "70.00"),
        ("60000", "1300.00", "800.00", "620.00"),  # 50 + 50,000 × 2.5%; 50 + 50,000 × 1.5%
        ("1000000", "13800.00", "7900.00", "5000.00"),  # the measures' own example; preservation at most 5,000
        ("30000000", "191800.00", "36900.00", "5000.00"),
    ],
)
def test_the_prc_bands_give_the_measures_figures(amount: str, filing: str, enforcement: str, preservation: str) -> None:
    fees = (CN.fee(kind, Decimal(amount)) for kind in ("filing", "enforcement", "preservation"))
    assert tuple(fees) == (Decimal(filing), Decimal(enforcement), Decimal(preservation))


@given(st.decimals(min_value=1, max_value=10**9, places=2), st.decimals(min_value=0, max_value=10**6, places=2))
def test_a_fee_never_falls_as_the_amount_rises_nor_jumps(amount: Decimal, more: Decimal) -> None:
    low, high = CN.fee("filing", amount), CN.fee("filing", amount + more)
    assert low <= high <= low + more * Decimal("0.025") + Decimal("0.01")  # at most the highest rate, and rounding


def test_a_schedule_out_of_order_is_refused() -> None:
    with pytest.raises(ValueError, match="rise strictly"):
        bands = [{"up_to": "100", "fixed": "5"}, {"up_to": "50"}, {"rate": "0.01"}]
        FeeSchedule.model_validate({"name": "x", "currency": "CNY", "enforcement": [{"rate": "0.01"}], "filing": bands})
    with pytest.raises(ValueError, match="the last none"):
        FeeSchedule.model_validate({"name": "x", "currency": "CNY", "enforcement": [{"rate": "0.01"}],
                                    "filing": [{"up_to": "100", "fixed": "5"}]})  # fmt: skip


def litigation_waiting(amount: str) -> tuple:  # type: ignore[type-arg]
    """Every step approved (the lawyer's letter issued) up to day 104, then the litigation step waits for approval."""
    state = simulate(open_account(STANDARD, START, amount=amount), START, START + days(103)).state
    state = simulate(state, START + days(103), START + days(106), approve=False).state
    return state, state.approvals["d105-open_litigation_task"]


def test_the_approver_of_the_litigation_step_sees_the_cost_test() -> None:
    state, approval = litigation_waiting("12000.00")
    assert approval.about == (  # court 50 + 2,000 × 2.5%; the lawyer's minimum; enforcement 50 + 2,000 × 1.5%
        "suing 12000.00 CNY costs about 3180.00 CNY (court 100.00, lawyer 3000.00, enforcement 80.00); expected "
        "recovery 7200.00 CNY; the debt is 3.8x the cost, at least the policy's 3x"
    )
    status = account_status(state, START + days(106))
    assert status.suit_cost is not None and status.suit_cost.court_fee == Decimal("100.00")
    assert "cost test    suing 12000.00 CNY" in describe(status)


def test_below_three_times_the_cost_a_payment_order_is_recommended() -> None:
    _, approval = litigation_waiting("8000.00")  # court 50, lawyer 3,000 (the minimum), enforcement 50: 3,100
    assert approval.about == (
        "suing 8000.00 CNY costs about 3100.00 CNY (court 50.00, lawyer 3000.00, enforcement 50.00); expected recovery "
        "4800.00 CNY; the debt is 2.6x the cost, below the policy's 3x: recommended instead, apply for a payment order "
        "支付令 (a clear, undisputed debt)"
    )


def test_a_large_debt_is_worth_suing() -> None:
    state, approval = litigation_waiting("1000000.00")
    assert approval.about.endswith("at least the policy's 3x")
    cost = account_status(state, START + days(106)).suit_cost
    assert cost is not None and (cost.court_fee, cost.lawyer_fee, cost.enforcement_fee) == (
        Decimal("13800.00"), Decimal("50000.00"), Decimal("7900.00")
    )  # fmt: skip
    assert cost.worth_suing and cost.expected_recovery == Decimal("600000.00")
