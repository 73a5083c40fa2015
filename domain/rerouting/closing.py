"""How an account closes other than by payment: write_off, report_bankruptcy, and the legal team's outcome."""

from datetime import datetime

from domain.account import AccountState
from domain.arrangements import Bankruptcy
from domain.commands import LegalOutcome, ReportBankruptcy, WriteOff, digest
from domain.rerouting.common import _record, seen


def apply_write_off(state: AccountState, command: WriteOff, now: datetime) -> None:
    if seen(state, command):
        return
    state.write_off = f"{command.reason} (by {command.by})"
    _record(state, command, now, "write_off", command.reason)


def apply_bankruptcy(state: AccountState, command: ReportBankruptcy, now: datetime) -> None:
    if seen(state, command) or state.outcome or state.bankruptcy:
        return
    state.accrue(now)  # interest stops at the petition
    state.bankruptcy = Bankruptcy(reported_by=command.by, reported_at=now, case_reference=command.case_reference,
                                  note=command.note)  # fmt: skip
    _record(state, command, now, "report_bankruptcy", command.case_reference or "no case reference")


def apply_legal_outcome(state: AccountState, command: LegalOutcome, now: datetime) -> None:
    if seen(state, command) or state.outcome:
        return
    if not state.with_legal_since:
        state.log(now, "command", f"legal_outcome {command.outcome} ignored: the account is not with legal")
        state.commands[command.command_id] = "legal_outcome"
        state.digests[command.command_id] = digest(command)
        return
    state.legal_outcome = command.outcome
    _record(state, command, now, "legal_outcome", command.outcome + (f": {command.note}" if command.note else ""))
