"""pause and resume: no contact until the pause ends (settle() ends it on time) or a resume."""

from datetime import datetime

from domain.account import AccountState
from domain.arrangements import PauseRecord
from domain.commands import Pause, Resume
from domain.rerouting.common import CommandRejected, _open, _record, seen


def check_pause(state: AccountState, command: Pause, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if command.until <= now:
        raise CommandRejected(f"pause until {command.until.isoformat()} is not in the future")
    if state.active_pause():
        raise CommandRejected("already paused: resume first, or wait for the pause to end")


def apply_pause(state: AccountState, command: Pause, now: datetime) -> None:
    if seen(state, command):
        return
    state.pauses.append(
        PauseRecord(pause_id=command.command_id, reason=command.reason, by=command.by, started_at=now,
                    until=command.until)
    )  # fmt: skip
    _record(state, command, now, "pause", f"until {command.until.isoformat()}: {command.reason}")


def check_resume(state: AccountState, command: Resume, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if state.active_pause() is None:
        raise CommandRejected("the account is not paused")


def apply_resume(state: AccountState, command: Resume, now: datetime) -> None:
    if seen(state, command):
        return
    pause = state.active_pause()
    assert pause is not None
    pause.ended_at = now
    _record(
        state,
        command,
        now,
        "resume",
        f"pause {pause.pause_id} ended" + (f": {command.reason}" if command.reason else ""),
    )
