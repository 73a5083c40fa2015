"""Placing an account with a collection agency (domain.agencies; every seed places accounts with agencies): a lead's
request, approved by the matrix (`place_with_agency`), hands the account over; our own debtor contact stops while it
is placed (the ladder's days are held, so it resumes where it stopped); payments meanwhile earn the agency its
commission; the agency reports contacts and promises; a recall, asked for or due (no result for the agency's
`recall_after_days`, or out for its maximum), takes the account back."""

from datetime import datetime
from decimal import Decimal

from domain.account import AccountState
from domain.agencies import Agency, Placement, active, recall_due
from domain.agency_commands import AgencyComplaint, AgencyReport, PlaceWithAgency, RecallFromAgency
from domain.agency_reports import PlacedPayment, placed_payment
from domain.bounds import MAX_LIST, MAX_NOTE
from domain.commands import PromiseToPay
from domain.events import PaymentReceived
from domain.kinds import ActionKind
from domain.planner import days_past_due
from domain.rerouting.common import CommandForbidden, CommandRejected, _open, _record, request_approval, seen
from domain.rerouting.promises import apply_promise, check_promise

PLACEMENT = ActionKind.AGENCY_PLACEMENT.value  # the approval matrix's subject


def check_placement(state: AccountState, command: PlaceWithAgency, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if state.bankruptcy or state.with_legal_since:
        raise CommandRejected("no placement with an agency once bankrupt or with legal")
    if active(state.placements) or state.placement_requests:
        raise CommandRejected("the account is placed with an agency already, or a placement waits for approval")
    agency = state.policy.agencies.get(command.agency_id)
    if agency is None:
        known = ", ".join(state.policy.agencies) or "none"
        raise CommandRejected(f"no agency {command.agency_id} in the account's policy (known: {known})")
    refusal = agency.takes(state.debtor.segment if state.debtor else "", *_placed(state, agency, now))
    if refusal:
        raise CommandRejected(refusal)


def apply_placement(state: AccountState, command: PlaceWithAgency, now: datetime) -> None:
    if seen(state, command):
        return
    agency = state.policy.agencies[command.agency_id]
    _, days, amount = _placed(state, agency, now)
    rate = agency.rate_for(days, amount)
    assert rate is not None  # check_placement: the agency takes it
    key = f"placement-{command.command_id}"
    state.placement_requests[key] = command.agency_id
    about = f"place with {agency.name} ({rate.describe()} of what it collects): {command.reason}"
    _record(state, command, now, "place_with_agency", f"{command.agency_id}; {key} waits for approval")
    request_approval(state, now, key, PLACEMENT, command.by, about, amount=amount)


def decide_placement(state: AccountState, key: str, approve: bool, now: datetime) -> None:
    """The approver's answer: approved, the account is placed (the handover to the agency follows)."""
    agency_id = state.placement_requests.pop(key, None)
    if agency_id is None or not approve:
        return
    agency = state.policy.agencies[agency_id]
    currency, days, amount = _placed(state, agency, now)
    rate = agency.rate_for(days, amount)
    if rate is None or amount <= 0:  # paid down or aged out of the agency's bands since it was asked
        segment = state.debtor.segment if state.debtor else ""
        state.log(now, "skipped", f"{key}: {agency.takes(segment, currency, days, amount) or 'nothing owed'}")
        return
    state.placements.append(Placement(placement_id=key, agency_id=agency_id, placed_at=now, days_past_due=days,
                                      placed_amount=amount, currency=currency, rate=rate.rate))  # fmt: skip
    state.log(now, "event", f"placed with {agency.name} ({agency_id}): {amount} {currency} at {days} days past due, "
                            f"commission {rate.describe()}")  # fmt: skip


def check_recall(state: AccountState, command: RecallFromAgency, now: datetime) -> None:
    if not seen(state, command) and active(state.placements) is None:
        raise CommandRejected("the account is not placed with an agency")


def apply_recall(state: AccountState, command: RecallFromAgency, now: datetime) -> None:
    if seen(state, command):
        return
    _recall(state, now, f"{command.reason} (by {command.by})")
    _record(state, command, now, "recall_from_agency", command.reason)


def check_agency_report(state: AccountState, command: AgencyReport, now: datetime) -> None:
    if seen(state, command):
        return
    placement = active(state.placements)
    if placement is None or placement.agency_id != command.agency_id:
        raise CommandForbidden(f"account {state.account_id} is not placed with agency {command.agency_id}")
    if command.promise is not None:
        check_promise(state, _promise(command), now)


def apply_agency_report(state: AccountState, command: AgencyReport, now: datetime) -> None:
    if seen(state, command):
        return
    placement = active(state.placements)
    assert placement is not None
    placement = placement.with_report(now)
    if command.promise is not None:
        apply_promise(state, _promise(command), now)
        placement = placement.with_promise(now)
    state.placements[-1] = placement
    _record(state, command, now, "agency_report", f"{command.agency_id} {command.kind}: {command.note or '-'}")


def check_complaint(state: AccountState, command: AgencyComplaint, now: datetime) -> None:
    if seen(state, command):
        return
    if not state.placements:
        raise CommandRejected("the account was never placed with an agency")
    if len(state.placements[-1].complaints) >= MAX_LIST:
        raise CommandRejected(f"the placement already holds {MAX_LIST} complaints, as many as it may")


def apply_complaint(state: AccountState, command: AgencyComplaint, now: datetime) -> None:
    if seen(state, command):
        return
    state.placements[-1] = state.placements[-1].with_complaint(command.text[:500])
    _record(state, command, now, "agency_complaint", f"{state.placements[-1].agency_id}: {command.text[:500]}")


def credit_agency(state: AccountState, payment: PaymentReceived, now: datetime) -> PlacedPayment | None:
    """A payment (applied) while the account is placed: the agency's commission on what it paid."""
    placement = active(state.placements)
    recorded = next((p for p in state.payments if p.payment_id == payment.payment_id), None)
    if placement is None or recorded is None or payment.currency != placement.currency:
        return None
    paid = recorded.amount - recorded.unapplied
    if paid <= 0:
        return None
    state.placements[-1] = placement.with_payment(paid, now)
    credited = placed_payment(state.account_id, placement, paid, now)
    state.agency_payments.append(credited)
    return credited


def recall_when_due(state: AccountState, now: datetime) -> None:
    """settle(): a placement with nothing to show for the agency's time, or out for its maximum, comes back."""
    placement = active(state.placements)
    if placement is not None:
        reason = recall_due(placement, state.policy.agencies[placement.agency_id], now)
        if reason:
            _recall(state, now, reason)


def _recall(state: AccountState, now: datetime, reason: str) -> None:
    placement = active(state.placements)
    assert placement is not None
    state.placements[-1] = placement.recalled(now, reason[:MAX_NOTE])
    state.log(now, "resumed", f"recalled from {placement.agency_id}: {reason}; the ladder resumes where it stopped")


def _placed(state: AccountState, agency: Agency, now: datetime) -> tuple[str, int, Decimal]:
    """What would be placed: the balance in the agency's first currency owed, and the account's age."""
    balances = state.balances(now)
    currency = next((c for c in agency.currencies if balances.get(c)), agency.currencies[0])
    return currency, days_past_due(state, now) or 0, balances.get(currency, Decimal(0))


def _promise(report: AgencyReport) -> PromiseToPay:
    assert report.promise is not None
    return PromiseToPay(
        command_id=f"{report.command_id}-promise", by=report.by, **report.promise.model_dump(mode="json")
    )
