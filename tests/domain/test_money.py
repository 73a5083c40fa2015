"""Interest, late fees and payment allocation: worked examples, then properties over random terms."""

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.account import AccountState
from domain.commands import AgreeInstallmentPlan, InstallmentTerm, OpenDispute, ResolveDispute
from domain.money import Debt, InterestTerms, allocate, minor_units, to_minor
from domain.policy import Fee, InterestRules, MoneyRules, Policy
from domain.policy_book import PolicyBook
from domain.rerouting import apply_dispute, apply_installment_plan, apply_resolution, check_installment_plan, settle
from domain.status import account_status
from tests.domain.simulate import days, open_account, simulate
from tests.factories import overdue, payment

BOOK = PolicyBook()
STANDARD = BOOK.for_segment("standard")
COMMERCIAL = BOOK.for_segment("commercial")
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, one day past the due date 2026-03-10


def with_money(policy: Policy = STANDARD, **money: object) -> Policy:
    return policy.model_copy(update={"money": MoneyRules.model_validate(money)})


def daily(rate: str, **rules: object) -> Policy:
    return with_money(interest={"rate": {"daily_rate": rate}, **rules})


def account(policy: Policy, **event: object) -> AccountState:
    return open_account(policy, START, **event)


def interest_on(state: AccountState, at: datetime) -> Decimal:
    return sum((b.interest for b in state.balance_lines(at)), Decimal(0))


# --- interest ---


def test_daily_rate_is_simple_interest_from_the_due_date() -> None:
    state = account(daily("0.0005"), amount="10000.00")
    assert interest_on(state, START) == Decimal("5.00")  # 1 day past due
    assert interest_on(state, START + days(29)) == Decimal("150.00")  # 30 days x 0.05% x 10000
    assert state.balances(START + days(29)) == {"CNY": Decimal("10150.00")}


def test_reference_rate_times_a_multiple_accrues_per_year_of_365_days() -> None:
    policy = with_money(interest={"rate": {"reference_rate": "0.0345", "reference_name": "LPR", "multiple": "1.5"}})
    state = account(policy, amount="12000.00")
    # 12000 x 3.45% x 1.5 / 365 x 100 days = 170.1369... -> 170.14
    assert interest_on(state, START + days(99)) == Decimal("170.14")
    assert policy.money.interest.describe() == "LPR 3.45% × 1.5 a year simple from the due date"


def test_the_legal_maximum_caps_the_rate_and_the_total() -> None:
    capped = daily("0.0005", max_annual_rate="0.12")  # 0.05% a day is 18.25% a year: cut to 12%
    state = account(capped, amount="10000.00")
    assert interest_on(state, START + days(29)) == Decimal("98.63")  # 10000 x 12% / 365 x 30
    ratio = daily("0.01", max_ratio="0.5")  # 1% a day, but never more than half the principal
    state = account(ratio, amount="10000.00")
    assert interest_on(state, START + days(39)) == Decimal("4000.00")
    assert interest_on(state, START + days(400)) == Decimal("5000.00")


def test_contract_rate_overrides_the_policy_but_not_its_cap() -> None:
    policy = daily("0.0001", max_annual_rate="0.10")
    state = account(policy, amount="10000.00", interest={"daily_rate": "0.0002"})
    assert interest_on(state, START + days(9)) == Decimal("20.00")  # the contract's 0.02% a day
    greedy = account(policy, amount="10000.00", interest={"daily_rate": "0.001"})
    assert interest_on(greedy, START + days(9)) == Decimal("27.40")  # 10% a year at most: 10000 x 0.1/365 x 10


def test_rounding_is_half_up_to_the_minor_unit() -> None:
    state = account(daily("0.0005"), amount="1000", currency="JPY")
    assert interest_on(state, START) == Decimal("1")  # 0.5 JPY rounds up, not to even
    assert to_minor(Decimal("0.125"), "CNY") == Decimal("0.13")
    assert to_minor(Decimal("0.1234"), "KWD") == Decimal("0.123")


def test_grace_days_delay_the_start_of_interest() -> None:
    state = account(daily("0.0005", grace_days=5), amount="10000.00")
    assert interest_on(state, START + days(4)) == 0
    assert interest_on(state, START + days(9)) == Decimal("25.00")  # days 6 to 10


def test_a_partial_payment_pays_interest_first_and_lowers_the_base() -> None:
    state = account(daily("0.0005"), amount="10000.00")
    state.add_payment(payment("P1", "5000.00", at=START + days(9)), START + days(9))
    record = state.payments[0]
    assert [(a.part, a.amount) for a in record.allocations] == [("interest", Decimal("50.00")),
                                                                   ("principal", Decimal("4950.00"))]  # fmt: skip
    # Ten more days on 5050.00 of principal.
    line = state.balance_lines(START + days(19))[0]
    assert (line.principal, line.interest) == (Decimal("5050.00"), Decimal("25.25"))


def test_principal_first_order_leaves_interest_owed_and_the_account_open() -> None:
    policy = with_money(interest={"rate": {"daily_rate": "0.0005"}}, allocation=["principal", "interest", "costs"])
    state = account(policy, amount="10000.00")
    at = START + days(9)
    state.add_payment(payment("P1", "10000.00", at=at), at)
    assert state.invoices[0].outstanding == 0
    assert state.balance_lines(at + days(30))[0].interest == Decimal("50.00")  # no principal left: no accrual
    run = simulate(state, at, at + days(400))
    assert run.outcome is None  # interest is still owed
    state.add_payment(payment("P2", "50.00", at=at + days(1)), at + days(1))
    assert simulate(state, at + days(1), at + days(2)).outcome == "paid"


def agree_two_halves(now: datetime) -> AccountState:
    """An account of 10000.00 with 50.00 of interest by `now`, and its plan of two halves due in 5 and 20 days."""
    state = account(daily("0.0005"), amount="10000.00")
    today = state.clock().local_day(now)
    half = Decimal("5025.00")
    agree = AgreeInstallmentPlan(
        command_id="plan-1", by="ops", currency="CNY",
        installments=[InstallmentTerm(amount=half, due_date=today + days(5)),
                      InstallmentTerm(amount=half, due_date=today + days(20))],
    )  # fmt: skip
    check_installment_plan(state, agree, now)
    apply_installment_plan(state, agree, now)
    return state


def test_an_installment_plan_freezes_interest_and_covers_the_balance_of_the_day() -> None:
    now = START + days(9)  # 50.00 of interest by now
    state = agree_two_halves(now)
    assert state.balances(now + days(15)) == {"CNY": Decimal("10050.00")}  # frozen
    state.add_payment(payment("P1", "5025.00", at=now + days(5)), now + days(5))
    state.add_payment(payment("P2", "5025.00", at=now + days(20)), now + days(20))
    assert simulate(state, now + days(20), now + days(30)).outcome == "settled"


def test_a_state_recorded_before_the_rename_still_has_its_installment_plan() -> None:
    """Continue-as-new carries the state in the history: states recorded before the rename name the installment plan
    `plan`, and still load; new states write `installment_plan`."""
    state = agree_two_halves(START + days(9))
    converter = pydantic_data_converter.payload_converter
    [payload] = converter.to_payloads([state])
    written = json.loads(payload.data)
    assert written["installment_plan"]["plan_id"] == "plan-1" and "plan" not in written
    written["plan"] = written.pop("installment_plan")
    payload.data = json.dumps(written).encode()
    [recorded] = converter.from_payloads([payload], [AccountState])
    assert recorded.installment_plan == state.installment_plan and recorded == state


# --- fees ---


def test_commercial_policy_charges_each_stage_fee_once() -> None:
    state = account(COMMERCIAL, amount="12000.00")
    run = simulate(state, START, START + days(100))
    fees = [(c.charge_id, c.amount) for c in state.charges]
    # The legal fee: 1.5% of the unpaid principal.
    assert fees == [("fee-formal_demand-CNY", Decimal("100.00")), ("fee-legal-CNY", Decimal("180.00"))]
    assert [c.charged_at for c in state.charges] == [at for key, _, at in run.acted if key.startswith(("d031", "d091"))]
    balance = state.balance_lines(START + days(100))[0]
    assert (balance.principal, balance.fees) == (Decimal("12000.00"), Decimal("280.00"))
    # LPR 3% x 1.5 = 4.5% a year: 12000 x 0.045 / 365 x 101 days = 149.42
    assert balance.interest == Decimal("149.42")
    assert balance.amount == Decimal("12429.42")


def test_payment_allocation_costs_then_interest_then_principal_oldest_first() -> None:
    policy = with_money(
        interest={"rate": {"daily_rate": "0.001"}}, fees=[Fee(stage="formal_demand", amounts={"CNY": "100.00"})]
    )
    state = account(policy, amount="1000.00", invoice_id="OLD", due_date=date(2026, 3, 1))
    state.add_invoice(overdue(amount="2000.00", invoice_id="NEW", event_id="evt-2", occurred_at=START), START)
    at = START + days(30)  # OLD is 40 days past due, NEW 31: the account is in formal_demand
    settle(state, at)
    assert [c.amount for c in state.charges] == [Decimal("100.00")]
    state.add_payment(payment("P1", "1200.00", at=at), at)
    parts = [(a.part, a.target, a.amount) for a in state.payments[0].allocations]
    assert parts == [
        ("costs", "fee-formal_demand-CNY", Decimal("100.00")),
        ("interest", "OLD", Decimal("40.00")),
        ("interest", "NEW", Decimal("62.00")),
        ("principal", "OLD", Decimal("998.00")),
    ]
    assert sum(a.amount for a in state.payments[0].allocations) == Decimal("1200.00")


def test_upheld_dispute_cancels_the_interest_and_fees_of_what_it_cancels() -> None:
    state = account(COMMERCIAL, amount="12000.00")
    at = START + days(40)
    settle(state, at)
    assert state.charges and interest_on(state, at) > 0
    apply_dispute(state, OpenDispute(command_id="d1", by="ops", reason="never delivered", invoice_ids=[]), at)
    apply_resolution(state, ResolveDispute(command_id="r1", by="sup", dispute_id="d1", resolution="upheld"), at)
    assert state.balances(at + days(10)) == {}
    assert simulate(state, at, at + days(1)).outcome == "cancelled"


def test_status_and_describe_show_principal_interest_and_fees_separately() -> None:
    state = account(COMMERCIAL, amount="12000.00")
    at = START + days(40)
    settle(state, at)
    state.add_payment(payment("P1", "500.00", at=at), at)
    status = account_status(state, at)
    balance = status.balances[0]
    assert balance.amount == balance.principal + balance.interest + balance.fees
    assert status.fees[0].paid == Decimal("100.00")
    assert status.allocation_order == ["costs", "interest", "principal"]
    text = status.describe()
    assert f"(principal {balance.principal}, interest {balance.interest}, fees 0.00)" in text
    assert "P1           500.00 CNY: costs 100.00 (fee-formal_demand-CNY), interest" in text
    assert "LPR 1Y 3% × 1.5 a year simple from the due date, at most 12% a year" in text


def test_bad_money_rules_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="either daily_rate or reference_rate"):
        InterestTerms(daily_rate="0.001", reference_rate="0.03")
    with pytest.raises(ValueError, match="costs, interest and principal, each once"):
        MoneyRules(allocation=["principal", "principal", "costs"])
    with pytest.raises(ValueError, match="more decimals than JPY"):
        Fee(stage="legal", amounts={"JPY": "10.5"})
    with pytest.raises(ValueError, match="unknown stage"):
        with_money(fees=[{"stage": "nowhere", "percent": "1"}]).model_validate(
            with_money(fees=[{"stage": "nowhere", "percent": "1"}]).model_dump()
        )


# --- properties ---

terms = st.one_of(
    st.builds(InterestTerms, daily_rate=st.decimals("0", "0.01", places=5)),
    st.builds(
        InterestTerms,
        reference_rate=st.decimals("0", "0.2", places=4),
        multiple=st.decimals("0", "5", places=2),
    ),
)
currencies = st.sampled_from(["CNY", "JPY", "KWD", "USD"])


@settings(max_examples=150, deadline=None)
@given(
    rate=terms,
    contract=st.none() | terms,
    cap=st.none() | st.decimals("0.01", "0.5", places=3),
    ratio=st.none() | st.decimals("0.1", "2", places=2),
    currency=currencies,
    units=st.integers(1, 10**8),
    payments=st.lists(st.tuples(st.integers(0, 400), st.integers(1, 10**7)), max_size=6),
)
def test_interest_never_exceeds_the_cap(rate, contract, cap, ratio, currency, units, payments) -> None:
    rules = InterestRules(rate=rate, max_annual_rate=cap, max_ratio=ratio)
    policy = STANDARD.model_copy(update={"money": MoneyRules(interest=rules)})
    amount = Decimal(units).scaleb(-minor_units(currency))
    terms = contract.model_dump(mode="json", exclude_none=True) if contract else None
    state = account(policy, amount=str(amount), currency=currency, interest=terms)
    invoice = state.invoices[0]
    due_day = invoice.due_date
    top = cap / 365 if cap is not None else None
    for n, (day, paid) in enumerate(sorted(payments)):
        at = START + days(day)
        state.add_payment(payment(f"P{n}", str(Decimal(paid).scaleb(-minor_units(currency))), currency, at), at)
        for check in (at, at + days(30)):
            days_due = (state.clock().local_day(check) - due_day).days
            charged = invoice.interest_charged(invoice.interest_at(state.clock().local_day(check), False))
            if top is not None:
                assert charged <= to_minor(amount * top * days_due, currency)
            if ratio is not None:
                assert charged <= amount * ratio
            assert charged <= to_minor(amount * rules.daily(contract) * days_due, currency)
            assert charged >= 0


debts = st.lists(
    st.builds(
        Debt,
        part=st.sampled_from(["costs", "interest", "principal"]),
        target=st.text("abc", min_size=1, max_size=3),
        owed=st.decimals("0", "100000", places=2),
    ),
    max_size=12,
)
orders = st.permutations(["costs", "interest", "principal"])


@settings(max_examples=300, deadline=None)
@given(amount=st.decimals("0.01", "500000", places=2), debts=debts, order=orders)
def test_allocations_always_sum_to_the_payment(amount, debts, order) -> None:
    allocations, left = allocate(amount, debts, order)
    assert sum((a.amount for a in allocations), Decimal(0)) + left == amount
    assert left >= 0 and all(a.amount > 0 for a in allocations)
    owed = sum((d.owed for d in debts), Decimal(0))
    assert left == max(Decimal(0), amount - owed)  # nothing left over while anything is owed
    ranks = [order.index(a.part) for a in allocations]
    assert ranks == sorted(ranks)  # a later part is paid only once the earlier ones are


@settings(max_examples=100, deadline=None)
@given(
    order=orders,
    pays=st.lists(st.tuples(st.integers(0, 200), st.integers(1, 2_000_000)), min_size=1, max_size=8),
)
def test_account_payments_allocate_exactly_and_never_overpay(order, pays) -> None:
    policy = with_money(
        COMMERCIAL, interest={"rate": {"daily_rate": "0.0005"}, "max_annual_rate": "0.12"}, allocation=order,
        fees=[{"stage": "formal_demand", "amounts": {"CNY": "100.00"}}, {"stage": "legal", "percent": "1.5"}],
    )  # fmt: skip
    state = account(policy, amount="12000.00")
    for n, (day, cents) in enumerate(sorted(pays)):
        at = START + days(day)
        settle(state, at)
        before = state.balances(at).get("CNY", Decimal(0))
        state.add_payment(payment(f"P{n}", str(Decimal(cents).scaleb(-2)), at=at), at)
        record = state.payments[-1]
        assert sum((a.amount for a in record.allocations), Decimal(0)) + record.unapplied == record.amount
        assert record.unapplied == max(Decimal(0), record.amount - before)
        assert state.balances(at).get("CNY", Decimal(0)) == before - (record.amount - record.unapplied)
    for invoice in state.invoices:
        assert invoice.paid <= invoice.amount and invoice.interest_due() >= 0
    assert all(c.paid <= c.amount for c in state.charges)


def test_status_names_the_contracts_own_rate_when_it_overrides_the_policy() -> None:
    policy = with_money(interest={"rate": {"daily_rate": "0.0001"}, "max_annual_rate": "0.10"})
    state = account(policy, amount="10000.00", interest={"reference_rate": "0.03", "reference_name": "LPR 1Y"})
    assert account_status(state, START).interest == "LPR 1Y 3% × 1 a year simple from the due date, at most 10% a year"
    assert account(STANDARD).interest_terms() == "none"
