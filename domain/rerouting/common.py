"""What every command shares: its refusal, its idempotency by `command_id`, its record in the history."""

from datetime import datetime

from domain.account import ACCOUNT_FULL, AccountState
from domain.commands import Command, digest


class CommandRejected(ValueError):
    """The command cannot apply to this account now; the message says why."""


class CommandConflict(CommandRejected):
    """The command's id was already used for a different command."""


def seen(state: AccountState, command: Command) -> bool:
    """A repeated command id: accepted, changes nothing (the caller gets the current status)."""
    return command.command_id in state.commands


def refusal(state: AccountState, command: Command) -> CommandRejected | None:
    """Why any command is refused before its own rules are asked: its id was already used for a different command
    (commands recorded before digests were kept count as repeats), or the account is full (domain.bounds)."""
    if seen(state, command):
        known = state.digests.get(command.command_id)
        if known is None or known == digest(command):
            return None
        first = state.commands[command.command_id]
        return CommandConflict(f"command id {command.command_id} was already used for a different command ({first})")
    if state.full():
        return CommandRejected(ACCOUNT_FULL)
    return None


def check_acceptable(state: AccountState, command: Command) -> None:
    """The part of every validator that `refusal` decides."""
    error = refusal(state, command)
    if error:
        raise error


def refuse_signal(state: AccountState, command: Command, now: datetime) -> bool:
    """For signals, which cannot be refused to the sender: record the refusal in the history. True if refused."""
    error = refusal(state, command)
    if error:
        state.log(now, "refused", f"{type(command).__name__} by {command.by} refused: {error}")
    return error is not None


def check_open(state: AccountState, command: Command, now: datetime) -> None:
    """The validator of commands that only need an open account (override_limitation, write_off)."""
    if not seen(state, command):
        _open(state)


def _open(state: AccountState) -> None:
    if state.outcome is not None:
        raise CommandRejected(f"the account is closed ({state.outcome})")
    if state.write_off:
        raise CommandRejected("the account is being written off")


def _refuse_once_bankrupt_or_with_legal(state: AccountState, what: str) -> None:
    """Promises and installment plans are for debts still being collected: none once bankrupt or with legal."""
    if state.bankruptcy or state.with_legal_since:
        raise CommandRejected(f"no {what} once bankrupt or with the legal team")


def _record(state: AccountState, command: Command, now: datetime, kind: str, detail: str) -> None:
    state.commands[command.command_id] = kind
    state.digests[command.command_id] = digest(command)
    state.log(now, "command", f"{kind} by {command.by}: {detail} [{command.command_id}]")
