"""How an account closes other than by payment: write_off, report_bankruptcy, and the legal team's outcome."""

from datetime import datetime

from domain.account import AccountState
from domain.arrangements import Bankruptcy
from domain.authority import WRITE_OFF
from domain.commands import LegalOutcome, ReportBankruptcy, WriteOff, digest
from domain.rerouting.common import CommandRejected, _open, _record, request_approval, seen


def check_write_off(state: AccountState, command: WriteOff, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    waiting = next((a.step for a in state.approvals.values() if a.subject == WRITE_OFF and a.state == "pending"), None)
    if waiting:
        raise CommandRejected(f"a write-off already waits for approval ({waiting})")


def apply_write_off(state: AccountState, command: WriteOff, now: datetime) -> None:
    """Before rules 3 the account closes at once; from rules 3 a write-off is a request that waits for approval by
    the level the policy's matrix names (seed 000: multi-level approval of bad-debt write-offs)."""
    if seen(state, command):
        return
    if state.rules < 3:
        state.write_off = f"{command.reason} (by {command.by})"
        _record(state, command, now, "write_off", command.reason)
        return
    key = f"write-off-{sum(a.subject == WRITE_OFF for a in state.approvals.values()) + 1}"
    _record(state, command, now, "write_off", f"{command.reason}; {key} waits for approval")
    request_approval(state, now, key, WRITE_OFF, command.by, command.reason)


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
