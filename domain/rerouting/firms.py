"""The law firm's answer to the draft of a lawyer's letter (rules 7, domain.lawyer_letters): issued, with the lawyer
who signed it, or declined with the reason. It closes the draft's task for the legal team."""

from datetime import datetime

from domain.account import AccountState
from domain.arrangements import FirmAnswer
from domain.commands import ConfirmLawyerLetter
from domain.lawyer_letters import draft_of
from domain.rerouting.common import CommandRejected, _open, _record, finish_work, seen


def check_confirm_lawyer_letter(state: AccountState, command: ConfirmLawyerLetter, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    step = next((s for s in state.policy.steps if s.key == command.step), None)
    if step is None:
        letters = [s.key for s in state.policy.steps if s.action.value == "issue_lawyer_letter"]
        raise CommandRejected(f"no step {command.step} in this account's policy (its lawyer's letters: "
                              f"{', '.join(letters) or 'none'})")  # fmt: skip
    answered = state.lawyer_letters.get(step.key)
    if answered is not None:
        raise CommandRejected(f"the firm already answered for {step.key}: {answered.answer} (by {answered.by})")
    draft = state.work.get(draft_of(step).key)
    if draft is None or draft.state != "open":
        raise CommandRejected(f"no draft of {step.key} waits for a law firm's answer")
    issued = command.issued_on
    if issued is not None and not draft.given_at.date() <= issued <= now.date():
        raise CommandRejected(f"issued_on {issued} is not between the draft ({draft.given_at.date()}) and today")


def apply_confirm_lawyer_letter(state: AccountState, command: ConfirmLawyerLetter, now: datetime) -> None:
    if seen(state, command):
        return
    state.lawyer_letters[command.step] = FirmAnswer(
        step=command.step, answer=command.answer, lawyer=command.lawyer, licence=command.licence,
        issued_on=command.issued_on, firm_reference=command.firm_reference, reason=command.reason, by=command.by,
        at=now,
    )  # fmt: skip
    what = f"issued by {command.lawyer} (licence {command.licence}) on {command.issued_on}"
    outcome = what if command.answer == "issued" else f"declined: {command.reason}"
    _record(state, command, now, "confirm_lawyer_letter", f"{command.step}: {outcome}")
    step = next(s for s in state.policy.steps if s.key == command.step)
    finish_work(state, draft_of(step).key, command.by, outcome, now)
