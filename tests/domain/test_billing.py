"""invoice.paid and invoice.cancelled (domain.rerouting.billing): what each does to the invoice it names, and what it
refuses, with the reason the sender's query reads."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from domain.account import AccountState
from domain.commands import digest
from domain.events import BillingEvent
from domain.planner import Close, plan
from domain.policy import Policy
from domain.policy_book import PolicyBook
from domain.rerouting import apply_billing_event
from tests.domain.simulate import days, open_account
from tests.factories import billing, overdue

BOOK = PolicyBook()
STANDARD = BOOK.for_segment("standard")
COMMERCIAL = BOOK.for_segment("commercial")  # late interest from the due date
ISSUED = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, 20 days before the due date
DUE = date(2026, 11, 25)


def issued_account(policy: Policy = STANDARD, **event: object) -> AccountState:
    return open_account(policy, ISSUED, event_type="invoice.issued", due_date=DUE, **event)


def outcome(state: AccountState, event_id: str) -> str | None:
    """What the workflow's `event_outcome` query answers."""
    refusal = state.event_refusals.get(event_id)
    return f"rejected: {refusal}" if refusal else state.events.get(event_id)


def test_paid_without_an_amount_pays_all_the_invoice_owes_and_closes_the_account_before_the_due_date() -> None:
    state = issued_account()
    at = ISSUED + days(19)  # the day before the due date
    apply_billing_event(state, billing(occurred_at=at, reference="BANK-77"), at)
    [paid] = state.payments
    assert (paid.payment_id, paid.amount, paid.currency, paid.received_at) == ("billing-evt-b1", 12000, "CNY", at)
    assert [(a.part, a.target, a.amount) for a in paid.allocations] == [("principal", "INV-1", Decimal("12000.00"))]
    assert state.events["evt-b1"] == "applied"
    assert state.history[-1].kind == "payment"
    assert "payment billing-evt-b1 (invoice.paid evt-b1, ref BANK-77): 12000.00 CNY" in state.history[-1].detail
    assert plan(state, at) == Close("paid", "every invoice is paid in full")


def test_paid_goes_to_the_invoice_it_names_only_not_the_oldest() -> None:
    state = open_account(STANDARD, ISSUED, due_date=date(2026, 11, 1))  # INV-1, overdue
    state.add_invoice(overdue(event_id="evt-2", invoice_id="INV-2", amount="500.00", occurred_at=ISSUED,
                              event_type="invoice.issued", due_date=DUE), ISSUED)  # fmt: skip
    apply_billing_event(state, billing(invoice_id="INV-2", amount="200.00", currency="CNY", occurred_at=ISSUED), ISSUED)
    assert [(a.target, a.amount) for a in state.payments[0].allocations] == [("INV-2", Decimal("200.00"))]
    assert [(i.invoice_id, i.outstanding) for i in state.invoices] == [("INV-1", 12000), ("INV-2", 300)]


def test_paid_without_an_amount_pays_the_interest_too_and_a_larger_amount_is_refused() -> None:
    state = open_account(COMMERCIAL, ISSUED, due_date=date(2026, 9, 6), segment="commercial")  # 60 days past due
    state.accrue(ISSUED)
    interest = state.invoices[0].interest_due()
    assert interest > 0
    owed = Decimal("12000.00") + interest
    too_much = billing(event_id="evt-big", amount=str(owed + Decimal("0.01")), currency="CNY", occurred_at=ISSUED)
    apply_billing_event(state, too_much, ISSUED)
    assert outcome(state, "evt-big") == (
        f"rejected: {owed + Decimal('0.01')} CNY is more than the {owed} CNY owed on invoice INV-1"
    )
    assert not state.payments
    apply_billing_event(state, billing(occurred_at=ISSUED), ISSUED)
    assert {a.part: a.amount for a in state.payments[0].allocations} == {"interest": interest, "principal": 12000}
    assert not state.unpaid()


def test_a_redelivery_changes_nothing_and_an_id_reused_for_another_event_is_a_conflict() -> None:
    state = issued_account()
    event = billing(amount="100.00", currency="CNY", occurred_at=ISSUED)
    apply_billing_event(state, event, ISSUED)
    apply_billing_event(state, event, ISSUED + days(1))
    assert len(state.payments) == 1 and state.events["evt-b1"] == "duplicate"
    assert state.history[-1].detail == "event evt-b1 delivered again: ignored"
    other = billing(amount="900.00", currency="CNY", occurred_at=ISSUED)
    apply_billing_event(state, other, ISSUED + days(1))
    assert len(state.payments) == 1 and state.event_conflict("evt-b1", digest(other))
    assert state.history[-1].detail == "event evt-b1 refused: that id was already used for a different event"


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (billing(invoice_id="INV-9", occurred_at=ISSUED), "no invoice INV-9 on account ACC-1"),
        (billing(amount="10.00", currency="USD", occurred_at=ISSUED), "invoice INV-1 is in CNY, not USD"),
        (billing(currency="USD", occurred_at=ISSUED), "invoice INV-1 is in CNY, not USD"),
        (billing(amount="12000.01", currency="CNY", occurred_at=ISSUED),
         "12000.01 CNY is more than the 12000.00 CNY owed on invoice INV-1"),
        (billing("invoice.cancelled", amount="12000.01", currency="CNY", occurred_at=ISSUED),
         "12000.01 CNY is more than the 12000.00 CNY outstanding principal on invoice INV-1"),
        (billing(occurred_at=ISSUED + days(3)),
         "occurred_at 2026-11-08T01:00:00+00:00 is more than a day ahead of now (2026-11-05 01:00 UTC)"),
    ],
)  # fmt: skip
def test_what_cannot_apply_is_refused_in_the_history_and_the_outcome_says_why(event: BillingEvent, reason: str) -> None:
    state = issued_account()
    apply_billing_event(state, event, ISSUED)
    assert outcome(state, event.event_id) == f"rejected: {reason}"
    assert state.history[-1].kind == "refused" and state.history[-1].detail == f"event evt-b1 refused: {reason}"
    assert not state.payments and state.invoices[0].outstanding == 12000 and not state.cancelled
    apply_billing_event(state, event, ISSUED)  # delivered again: refused again, not taken for done
    assert outcome(state, event.event_id) == f"rejected: {reason}"


def test_an_invoice_paid_already_has_nothing_owed() -> None:
    state = issued_account()
    apply_billing_event(state, billing(occurred_at=ISSUED), ISSUED)
    apply_billing_event(state, billing(event_id="evt-b2", occurred_at=ISSUED), ISSUED)
    assert outcome(state, "evt-b2") == "rejected: invoice INV-1 has nothing owed"


def test_cancelled_without_an_amount_cancels_the_invoice_and_closes_the_account_as_cancelled() -> None:
    state = issued_account()
    apply_billing_event(state, billing("invoice.cancelled", reason="order withdrawn", reference="CN-1",
                                       occurred_at=ISSUED), ISSUED)  # fmt: skip
    assert state.invoices[0].outstanding == 0 and state.cancelled == 12000 and state.events["evt-b1"] == "applied"
    assert state.history[-1].detail == (
        "invoice.cancelled evt-b1: invoice INV-1 principal reduced by 12000.00 CNY to 0.00; order withdrawn; ref CN-1"
    )
    closing = plan(state, ISSUED)
    assert isinstance(closing, Close) and closing.outcome == "cancelled"


def test_a_partial_cancellation_is_a_credit_note_and_the_rest_is_still_owed() -> None:
    state = issued_account()
    apply_billing_event(
        state, billing("invoice.cancelled", amount="2000.00", currency="CNY", occurred_at=ISSUED), ISSUED
    )
    assert state.invoices[0].outstanding == 10000 and state.cancelled == 2000
    assert state.balances(ISSUED) == {"CNY": Decimal("10000.00")}
    assert not isinstance(plan(state, ISSUED), Close)


def test_a_full_account_refuses_without_remembering() -> None:
    state = issued_account()
    state.history[0].detail = "x" * 1_000_000  # past the state budget (domain.bounds.STATE_BUDGET)
    apply_billing_event(state, billing(occurred_at=ISSUED), ISSUED)
    assert not state.payments and "evt-b1" not in state.events
    assert state.history[-1].kind == "refused" and "holds as much as one account may" in state.history[-1].detail
