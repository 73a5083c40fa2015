"""What every command shares: its refusal, its idempotency by `command_id`, its record in the history."""

from datetime import datetime
from decimal import Decimal

from domain.account import ACCOUNT_FULL, AccountState
from domain.arrangements import Approval
from domain.commands import AgreeInstallmentPlan, Command, digest
from domain.ledger import InvoiceState


class CommandRejected(ValueError):
    """The command cannot apply to this account now; the message says why."""


class CommandConflict(CommandRejected):
    """The command's id was already used for a different command."""


class CommandForbidden(CommandRejected):
    """The sender may not give this command: an approval above their level, or their own request (four eyes)."""


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


def request_approval(
    state: AccountState, now: datetime, key: str, subject: str, requested_by: str = "system", about: str = "",
    plan: AgreeInstallmentPlan | None = None, amount: Decimal | None = None,
) -> Approval:  # fmt: skip
    """Ask for a decision on `subject` (a step's action, write_off, installment_plan, settlement), at the level it
    needs for `amount` (by default the balance)."""
    rules = state.policy.approvals
    banded = amount if amount is not None else max(state.balances(now).values(), default=Decimal(0))
    needed = rules.needed(subject, banded) if state.rules >= 3 else 0
    approval = Approval(step=key, level=needed, requested_at=now, needed=needed, subject=subject,
                        requested_by=requested_by, about=about, plan=plan)  # fmt: skip
    state.approvals[key] = approval
    what = f" ({about})" if about else ""
    state.log(now, "deferred", f"{key} needs approval{what}: asked the {rules.levels[needed]}")
    return approval


def finish_work(state: AccountState, key: str, by: str, outcome: str, now: datetime) -> None:
    """The task given by step `key` is done (a task already done, or never followed, stays as it is)."""
    item = state.work.get(key)
    if item is not None and item.state == "open":
        item.state, item.done_by, item.done_at, item.outcome = "done", by, now, outcome


def cancel_principal(state: AccountState, invoices: list[InvoiceState], amount: Decimal | None, now: datetime) -> None:
    """Cancel `amount` of these invoices' principal, oldest first (None: all of it), as a credit note does: recorded
    in `state.cancelled`. An invoice left owing nothing owes no interest either, and fees charged for chasing a
    currency left owing nothing are waived with it."""
    state.accrue(now)
    left = amount
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.invoice_id)):
        cut = invoice.outstanding if left is None else min(left, invoice.outstanding)
        invoice.amount -= cut
        state.cancelled += cut
        if left is not None:
            left -= cut
        if invoice.outstanding == 0:  # nothing was owed: nor is the interest on it
            invoice.interest_waived += invoice.interest_due()
    owing = {i.currency for i in state.invoices if i.outstanding > 0}
    for charge in state.owed_charges():
        if charge.currency not in owing:
            charge.waived += charge.owed
