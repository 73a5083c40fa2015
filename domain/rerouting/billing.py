"""invoice.paid and invoice.cancelled: what the billing system says became of an invoice of an open account.

Signals, which cannot answer their sender: a refusal (an unknown invoice, another currency, more than the invoice
owes, a date ahead of the clock) is recorded in the history and remembered with the event id, so that the sender's
query (`event_outcome`) reads it. Idempotent by event id: a re-delivery changes nothing, and an id used for another
event is refused as a conflict."""

from datetime import datetime
from decimal import Decimal

from domain.account import AccountState
from domain.bounds import check_happened
from domain.commands import digest
from domain.events import BillingEvent, PaymentReceived
from domain.ledger import InvoiceState
from domain.rerouting.common import cancel_principal


def apply_billing_event(state: AccountState, event: BillingEvent, now: datetime) -> None:
    said = digest(event)
    if state.repeated_event(event.event_id, said, now) is not None:
        return
    if state.refuse_when_full(now, f"event {event.event_id} ({event.type} {event.invoice_id})"):
        return
    invoice = next((i for i in state.invoices if i.invoice_id == event.invoice_id), None)
    refusal = _refusal(state, event, invoice, now)
    if refusal is not None:
        state.remember_event(event.event_id, said, "rejected", now, refusal=refusal)
        return
    assert invoice is not None  # an unknown invoice is refused
    if event.type == "invoice.paid":
        _paid(state, event, invoice, now)
    else:
        _cancelled(state, event, invoice, now)
    state.remember_event(event.event_id, said, "applied", now)


def _refusal(state: AccountState, event: BillingEvent, invoice: InvoiceState | None, now: datetime) -> str | None:
    """Why the event cannot apply to this account now, if so."""
    try:
        check_happened(event, now)
    except ValueError as error:
        return str(error)
    if invoice is None:
        return f"no invoice {event.invoice_id} on account {state.account_id}"
    if event.currency is not None and event.currency != invoice.currency:
        return f"invoice {invoice.invoice_id} is in {invoice.currency}, not {event.currency}"
    state.accrue(now)
    owed = _owed(event, invoice)
    what = "owed" if event.type == "invoice.paid" else "outstanding principal"
    if owed == 0:
        return f"invoice {invoice.invoice_id} has nothing {what}"
    if event.amount is not None and event.amount > owed:
        more = f"{event.amount} {invoice.currency} is more than the {owed} {invoice.currency}"
        return f"{more} {what} on invoice {invoice.invoice_id}"
    return None


def _owed(event: BillingEvent, invoice: InvoiceState) -> Decimal:
    """What the event may settle: the invoice's principal and interest (paid), or its principal (cancelled)."""
    return invoice.outstanding + (invoice.interest_due() if event.type == "invoice.paid" else 0)


def _paid(state: AccountState, event: BillingEvent, invoice: InvoiceState, now: datetime) -> None:
    """A payment of that invoice only (its interest, then its principal, in the policy's order), under a payment id
    derived from the event's."""
    amount = event.amount or _owed(event, invoice)
    payment = PaymentReceived(payment_id=f"billing-{event.event_id}", amount=amount, currency=invoice.currency,
                              received_at=event.occurred_at)  # fmt: skip
    reference = f", ref {event.reference}" if event.reference else ""
    state.apply_payment(payment, [invoice], [], now, digest(payment), f" ({event.type} {event.event_id}{reference})")


def _cancelled(state: AccountState, event: BillingEvent, invoice: InvoiceState, now: datetime) -> None:
    """A credit note: that invoice's principal reduced by the amount (all of it by default)."""
    before = invoice.outstanding
    cancel_principal(state, [invoice], event.amount, now)
    why = "".join(f"; {text}" for text in (event.reason, event.reference and f"ref {event.reference}") if text)
    state.log(now, "event", f"{event.type} {event.event_id}: invoice {invoice.invoice_id} principal reduced by "
              f"{before - invoice.outstanding} {invoice.currency} to {invoice.outstanding}{why}")  # fmt: skip
