"""open_dispute and resolve_dispute: nothing is sent about disputed invoices; upheld cancels or adjusts them."""

from datetime import datetime

from domain.account import AccountState
from domain.arrangements import Dispute
from domain.commands import OpenDispute, ResolveDispute
from domain.money import check_amount
from domain.rerouting.common import CommandRejected, _open, _record, seen


def check_dispute(state: AccountState, command: OpenDispute, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    known = {i.invoice_id for i in state.unpaid()}
    unknown = [i for i in command.invoice_ids if i not in known]
    if unknown:
        raise CommandRejected(f"no unpaid invoice {', '.join(unknown)} on this account")


def apply_dispute(state: AccountState, command: OpenDispute, now: datetime) -> None:
    if seen(state, command):
        return
    state.disputes.append(
        Dispute(dispute_id=command.command_id, reason=command.reason, invoice_ids=command.invoice_ids,
                opened_by=command.by, opened_at=now)
    )  # fmt: skip
    about = ", ".join(command.invoice_ids) or "the whole balance"
    _record(state, command, now, "open_dispute", f"{about}: {command.reason}")


def check_resolution(state: AccountState, command: ResolveDispute, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    dispute = next((d for d in state.disputes if d.dispute_id == command.dispute_id), None)
    if dispute is None:
        raise CommandRejected(f"no dispute {command.dispute_id} on this account")
    if dispute.state != "open":
        raise CommandRejected(f"dispute {command.dispute_id} is already {dispute.state}")
    if command.adjustment is not None:
        if command.resolution != "upheld":
            raise CommandRejected("an adjustment only goes with an upheld dispute")
        currencies = {i.currency for i in _disputed(state, dispute)}
        if len(currencies) != 1:
            raise CommandRejected("an adjustment needs disputed invoices in one currency: resolve them one by one")
        try:
            check_amount(command.adjustment, currencies.pop())
        except ValueError as error:
            raise CommandRejected(f"adjustment: {error}") from None
        disputed = sum(i.outstanding for i in _disputed(state, dispute))
        if command.adjustment > disputed:
            raise CommandRejected(f"adjustment {command.adjustment} is more than the disputed {disputed}")


def apply_resolution(state: AccountState, command: ResolveDispute, now: datetime) -> None:
    if seen(state, command):
        return
    dispute = next(d for d in state.disputes if d.dispute_id == command.dispute_id)
    dispute.state, dispute.resolved_by, dispute.resolved_at, dispute.note = (
        command.resolution, command.by, now, command.note
    )  # fmt: skip
    detail = f"dispute {dispute.dispute_id} {command.resolution}"
    if command.resolution == "upheld":
        state.accrue(now)
        left = command.adjustment  # None: cancel everything disputed
        for invoice in sorted(_disputed(state, dispute), key=lambda i: (i.due_date, i.invoice_id)):
            cut = invoice.outstanding if left is None else min(left, invoice.outstanding)
            invoice.amount -= cut
            state.cancelled += cut
            if left is not None:
                left -= cut
            if invoice.outstanding == 0:  # nothing was owed: nor is the interest on it
                invoice.interest_waived += invoice.interest_due()
        _waive_fees_without_principal(state)
        detail += f"; {'adjusted by ' + str(command.adjustment) if command.adjustment else 'disputed amount cancelled'}"
    _record(state, command, now, "resolve_dispute", detail + (f" ({command.note})" if command.note else ""))


def _waive_fees_without_principal(state: AccountState) -> None:
    """Fees charged for chasing a debt that turned out not to be owed are waived with it."""
    owing = {i.currency for i in state.invoices if i.outstanding > 0}
    for charge in state.owed_charges():
        if charge.currency not in owing:
            charge.waived += charge.owed


def _disputed(state: AccountState, dispute: Dispute) -> list:
    return [i for i in state.unpaid() if not dispute.invoice_ids or i.invoice_id in dispute.invoice_ids]
