"""The lawyer's letter from rules 7 (seeds 000 and 001: a lawyer issues it; seed 002: never impersonate one
「不得冒充」). When the step is due (and approved), the creditor's law firm gets a draft first, through the legal
team: a task followed until done, escalated along the chain when overdue. The letter goes to the debtor under the
firm's name, with the lawyer named, only once the firm confirms it issued it (`confirm_lawyer_letter`). With no firm
configured the draft fails saying so, and the step is skipped with that reason."""

from domain.account import AccountState
from domain.decisions import Decision, Skip, Wait
from domain.kinds import ActionKind
from domain.policy import Step


def draft_of(step: Step) -> Step:
    """The draft's own step: a task for legal, due in the policy's `[work] due_days` (its key does not start with
    `d`, the prefix of ladder steps: firm-draft-d091-issue_lawyer_letter)."""
    return Step(day=step.day, action=ActionKind.LAWYER_LETTER_DRAFT, template="lawyer_letter_draft",
                id=f"firm-draft-{step.key}")  # fmt: skip


def firm_gate(state: AccountState, step: Step, day: int) -> Step | Decision | dict[str, str]:
    """What stands between a due lawyer's letter and the debtor: the draft to send (a Step), a wait for the firm or a
    skip (a Decision), or nothing, and then what the letter prints of the firm's answer (its details)."""
    draft = draft_of(step)
    result = state.handled.get(draft.key)
    if result is None:
        return draft
    if result != "done":
        why = next((h.detail for h in reversed(state.history) if h.step == draft.key), result)
        return Skip(step, day, f"no lawyer's letter without a law firm to issue it: {why}")
    answer = state.lawyer_letters.get(step.key)
    if answer is None:
        return Wait(None, reason=f"{step.key} awaits the law firm's confirmation that it issued the letter "
                                 f"(task {draft.key})")  # fmt: skip
    if answer.answer == "declined":
        return Skip(step, day, f"the law firm declined to issue it: {answer.reason}")
    assert answer.lawyer and answer.licence and answer.issued_on
    return {"lawyer": answer.lawyer, "licence": answer.licence, "issued_on": answer.issued_on.isoformat(),
            "firm_reference": answer.firm_reference or ""}  # fmt: skip
