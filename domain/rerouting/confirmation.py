"""confirm_balance: the debtor's answer to the balance confirmation letter (seed 001's 《賬款確認函》, sent before the
due date). Confirmed, the balance is acknowledged: evidence in the contact log, and a restart of the limitation
period (domain.limitation). Rejected, the debtor contests it: a dispute opens on the invoices named (none: the whole
balance) by the dispute's own rules, and its review task follows."""

from datetime import datetime

from domain.account import AccountState
from domain.arrangements import ContactRecord
from domain.commands import ConfirmBalance
from domain.rerouting.common import _open, _record, seen
from domain.rerouting.disputes import apply_dispute, check_dispute


def check_confirm_balance(state: AccountState, command: ConfirmBalance, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if command.answer == "rejected":
        check_dispute(state, command.dispute(), now)


def apply_confirm_balance(state: AccountState, command: ConfirmBalance, now: datetime) -> None:
    if seen(state, command):
        return
    balance = ", ".join(f"{amount} {currency}" for currency, amount in state.balances(now).items()) or "nothing"
    said = f"balance {balance}" if command.answer == "confirmed" else f"contests {_contested(command)}"
    notes = "; ".join(text for text in (command.reason, command.note) if text)
    state.contact_records.append(
        ContactRecord(record_id=command.command_id, channel="confirmation", result=command.answer, at=now,
                      by=command.by, notes=notes, agreed=said, evidence_ref=command.evidence_ref)
    )  # fmt: skip
    evidence = f" (evidence {command.evidence_ref})" if command.evidence_ref else ""
    _record(state, command, now, "confirm_balance", f"balance {command.answer}: {said}{evidence}"
            + (f": {notes[:200]}" if notes else ""))  # fmt: skip
    if command.answer == "rejected":
        apply_dispute(state, command.dispute(), now)


def _contested(command: ConfirmBalance) -> str:
    return ", ".join(command.invoice_ids) or "the whole balance"
