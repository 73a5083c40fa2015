"""open_dispute and resolve_dispute: nothing is sent about disputed invoices; upheld cancels or adjusts them."""

from datetime import datetime

from domain.account import AccountState
from domain.arrangements import Dispute
from domain.commands import OpenDispute, ResolveDispute
from domain.money import check_amount
from domain.rerouting.common import CommandRejected, _open, _record, cancel_principal, seen


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
        cancel_principal(state, _disputed(state, dispute), command.adjustment, now)  # None: everything disputed
        detail += f"; {'adjusted by ' + str(command.adjustment) if command.adjustment else 'disputed amount cancelled'}"
    _record(state, command, now, "resolve_dispute", detail + (f" ({command.note})" if command.note else ""))


def _disputed(state: AccountState, dispute: Dispute) -> list:
    return [i for i in state.unpaid() if not dispute.invoice_ids or i.invoice_id in dispute.invoice_ids]
