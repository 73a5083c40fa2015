"""letter_delivery: a letter on its way (seed 003: send the demand letter by EMS and keep the delivery record). The
mailroom records the tracking number it was posted under; the courier (its webhook, or a person reading its site)
says when it was delivered, with a proof, or returned, with a reason. Each letter is followed by its tracking
number, so a courier's repeated or late reports change nothing: a letter delivered or returned stays so.

From rules 6 the limitation period restarts on a written demand's delivery (domain.limitation), not on its
sending; a returned letter raises a skip trace for the debtor's address (domain.side_actions)."""

from datetime import datetime

from domain.account import AccountState
from domain.arrangements import LetterRecord
from domain.commands import LetterDelivery
from domain.rerouting.common import CommandRejected, _record, seen
from domain.rerouting.contact import POST


def apply_letter_delivery(state: AccountState, command: LetterDelivery, now: datetime) -> None:
    if seen(state, command):
        return
    try:
        letter = _letter(state, command)
    except CommandRejected as refused:  # a signal cannot be refused to its sender: the history says why
        state.log(now, "refused", f"letter_delivery by {command.by} refused: {refused} [{command.command_id}]")
        return
    said = _update(state, letter, command, now)
    _record(state, command, now, "letter_delivery", f"{letter.step} {said}")


def _letter(state: AccountState, command: LetterDelivery) -> LetterRecord:
    """The letter the report is about: by its tracking number, else by its step (a first report names it)."""
    tracked = next((letter for letter in state.letters.values() if letter.tracking == command.tracking_number), None)
    if tracked is not None:
        if command.step and command.step != tracked.step:
            raise CommandRejected(f"tracking number {command.tracking_number} is {tracked.step}'s, not {command.step}")
        return tracked
    if command.step is None:
        raise CommandRejected(f"no letter posted under tracking number {command.tracking_number}: name its step")
    letter = state.letters.get(command.step)
    if letter is None:
        raise CommandRejected(f"no letter {command.step} was sent on this account")
    if letter.tracking is not None:
        raise CommandRejected(f"{command.step} was posted under tracking number {letter.tracking}")
    return letter


def _update(state: AccountState, letter: LetterRecord, command: LetterDelivery, now: datetime) -> str:
    """Apply the report; what the history says of it."""
    letter.tracking = command.tracking_number
    if letter.status in ("delivered", "returned"):  # final: a late "posted", or a second verdict, changes nothing
        return f"{command.event} ({command.tracking_number}) reported after it was {letter.status}: kept"
    if command.event == "posted":
        if letter.status == "presumed":  # already posted and presumed delivered: nothing new
            return f"posted ({command.tracking_number}) reported after it was presumed delivered: kept"
        letter.status, letter.posted_at = "in_transit", command.at
        return f"posted under tracking number {command.tracking_number}"
    letter.status, letter.at = command.event, command.at
    if state.rules >= 9:  # the postal channel's run of failures, as phone and email have theirs (lost contact)
        state.failures[POST] = 0 if command.event == "delivered" else state.failures.get(POST, 0) + 1
    if command.event == "delivered":
        letter.proof_ref = command.proof_ref
        proof = f" (proof {command.proof_ref})" if command.proof_ref else ""
        return f"delivered {command.at:%Y-%m-%d}{proof} ({command.tracking_number})"
    letter.reason = command.reason  # the address is wrong or gone: a skip trace finds the right one (side_actions)
    return f"returned {command.at:%Y-%m-%d}: {command.reason or 'no reason given'} ({command.tracking_number})"
