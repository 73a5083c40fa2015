"""offer_settlement and what time decides about an offer (domain.settlements): approval by the matrix for the amount
given up, the debtor's payment by the date (settled: the rest waived, each part recorded) or the lapse."""

from datetime import datetime, timedelta
from decimal import Decimal

from domain.account import AccountState
from domain.authority import SETTLEMENT
from domain.commands import OfferSettlement
from domain.money import to_minor
from domain.rerouting.common import CommandRejected, _open, _record, request_approval, seen
from domain.settlements import Settlement

MAX_OFFER_DAYS = 90  # an offer that stands longer is a plan, not a settlement


def owed_parts(state: AccountState, currency: str, now: datetime) -> tuple[Decimal, Decimal, Decimal]:
    """Principal, interest and fees owed in `currency` now."""
    line = next((b for b in state.balance_lines(now) if b.currency == currency), None)
    return (line.principal, line.interest, line.fees) if line else (Decimal(0), Decimal(0), Decimal(0))


def check_settlement(state: AccountState, command: OfferSettlement, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if state.bankruptcy or state.with_legal_since:
        raise CommandRejected("no settlement offer once bankrupt or with legal (the legal team settles a case)")
    standing = next((s for s in state.settlements if s.state in ("pending_approval", "offered")), None)
    if standing is not None:
        raise CommandRejected(f"settlement {standing.settlement_id} stands ({standing.state}): one offer at a time")
    principal, interest, fees = owed_parts(state, command.currency, now)
    owed = principal + interest + fees
    if owed == 0:
        raise CommandRejected(f"nothing is owed in {command.currency}")
    pay = to_pay(command, principal, interest, fees)
    if pay <= 0 or pay >= owed:
        raise CommandRejected(f"the debtor would pay {pay} of {owed} {command.currency}: an offer gives something up "
                              "and leaves something to pay")  # fmt: skip
    today = state.clock().local_day(now)
    if not today <= command.expires_on <= today + timedelta(days=MAX_OFFER_DAYS):
        raise CommandRejected(f"expires_on is from today ({today}) to {MAX_OFFER_DAYS} days on")


def to_pay(command: OfferSettlement, principal: Decimal, interest: Decimal, fees: Decimal) -> Decimal:
    """What the debtor pays: the amount settled for, else the balance less what is waived."""
    if command.settle_for is not None:
        return command.settle_for
    return principal + (0 if command.waive_interest else interest) + (0 if command.waive_fees else fees)


def apply_settlement(state: AccountState, command: OfferSettlement, now: datetime) -> None:
    if seen(state, command):
        return
    principal, interest, fees = owed_parts(state, command.currency, now)
    owed, pay = principal + interest + fees, to_pay(command, principal, interest, fees)
    offer = Settlement(
        settlement_id=command.command_id, currency=command.currency, waive_interest=command.waive_interest,
        waive_fees=command.waive_fees, pay=pay, owed=owed, given_up=owed - pay, expires_on=command.expires_on,
        reason=command.reason, by=command.by, requested_at=now,
    )  # fmt: skip
    state.settlements.append(offer)
    _record(state, command, now, "offer_settlement", f"{offer.terms()}: {command.reason}")
    request_approval(state, now, offer.approval_key, SETTLEMENT, command.by, offer.terms(), amount=offer.given_up)


def decide_settlement(state: AccountState, key: str, approve: bool, now: datetime) -> None:
    """The approval of an offer decided: approved, it goes to the debtor (a side action); rejected, it never does."""
    offer = next(s for s in state.settlements if s.approval_key == key)
    offer.state, offer.offered_at = ("offered", now) if approve else ("rejected", None)
    if not approve:
        offer.ended_at = now


def settle_offers(state: AccountState, now: datetime) -> None:
    """An offer paid in time settles (the rest waived); one not paid by its date lapses (rules unchanged: the
    balance is what it was, less what was paid)."""
    offer = next((s for s in state.settlements if s.state == "offered"), None)
    if offer is None or offer.offered_at is None:
        return
    paid = sum((p.amount - p.unapplied for p in state.payments
                if p.currency == offer.currency and p.received_at >= offer.offered_at), Decimal(0))  # fmt: skip
    if paid >= offer.pay:
        _waive_the_rest(state, offer, now)
        offer.state, offer.ended_at = "settled", now
        waived = f"interest {offer.waived_interest}, fees {offer.waived_fees}, principal {offer.discount}"
        state.log(now, "settlement", f"settlement {offer.settlement_id} paid {paid} {offer.currency}; waived {waived}")
    elif now >= offer.lapses_at(state.clock()):
        offer.state, offer.ended_at = "lapsed", now
        state.log(now, "settlement", f"settlement {offer.settlement_id} lapsed: {paid} of {offer.pay} {offer.currency} "
                  f"paid by {offer.expires_on}; the balance stands")  # fmt: skip


def _waive_the_rest(state: AccountState, offer: Settlement, now: datetime) -> None:
    state.accrue(now)
    invoices = [i for i in state.invoices if i.currency == offer.currency]
    for invoice in invoices:
        offer.waived_interest += invoice.interest_due()
        invoice.interest_waived += invoice.interest_due()
    for charge in state.owed_charges():
        if charge.currency == offer.currency:
            offer.waived_fees += charge.owed
            charge.waived += charge.owed
    for invoice in invoices:  # the invoice stands as billed: its principal given up is recorded apart
        offer.discount += invoice.outstanding
        invoice.principal_waived += invoice.outstanding
    for part in ("waived_interest", "waived_fees", "discount"):  # in the currency's minor unit, as printed
        setattr(offer, part, to_minor(getattr(offer, part), offer.currency))
