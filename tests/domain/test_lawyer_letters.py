"""The lawyer's letter from rules 7: drafted for the creditor's law firm, sent to the debtor under the firm's name only
once the firm confirms it issued it; declined or without a firm, skipped with the reason (domain.lawyer_letters)."""

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from domain.account import AccountState
from domain.commands import ConfirmLawyerLetter
from domain.kinds import ActionKind
from domain.policy_book import PolicyBook
from domain.rerouting import CommandRejected, apply_confirm_lawyer_letter, check_confirm_lawyer_letter
from tests.domain.simulate import Run, days, open_account, simulate

STANDARD = PolicyBook().for_segment("standard")
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # a Wednesday, 09:00 in Shanghai; due the day before
LETTER, DRAFT = "d091-issue_lawyer_letter", "firm-draft-d091-issue_lawyer_letter"


def answer(answer: str = "issued", command_id: str = "firm-1", **fields: object) -> ConfirmLawyerLetter:
    if answer == "issued":
        fields = {"lawyer": "王律师", "licence": "13101200010000001", "issued_on": date(2026, 6, 11)} | fields
    return ConfirmLawyerLetter(command_id=command_id, by="legal-1", step=LETTER, answer=answer, **fields)


def up_to_the_draft() -> Run:
    """Every approval granted, the firm silent: the ladder up to the draft and a few days after it."""
    return simulate(open_account(STANDARD, START), START, START + days(100), firm_issues=False)


def test_the_firm_gets_a_draft_and_the_debtor_nothing_until_it_confirms() -> None:
    run = up_to_the_draft()
    acted = [key for key, _, _ in run.acted]
    assert DRAFT in acted and LETTER not in acted and "d105-open_litigation_task" not in acted
    [draft] = [r for r in run.requests if r.step == DRAFT]
    assert draft.action == ActionKind.LAWYER_LETTER_DRAFT and draft.assignee_role is None  # legal: the kind's
    assert draft.details == {"letter_step": LETTER, "deadline_days": "7"}
    assert run.state.work[DRAFT].state == "open" and run.state.work[DRAFT].kind == "lawyer_letter_draft"
    # Left unanswered past its due date, the task is escalated along the chain, as approvals are reminded.
    notices = [r.details["level"] for r in run.requests if r.action == ActionKind.TASK_OVERDUE]
    assert notices and notices[0] == "supervisor"


def test_confirmed_the_letter_goes_under_the_firm_s_name_then_litigation_follows() -> None:
    run = up_to_the_draft()
    confirmed_at = START + days(96)
    check_confirm_lawyer_letter(run.state, answer(), confirmed_at)
    apply_confirm_lawyer_letter(run.state, answer(), confirmed_at)
    assert run.state.work[DRAFT].state == "done" and run.state.work[DRAFT].done_by == "legal-1"
    after = simulate(run.state, confirmed_at, START + days(130))
    [letter] = [r for r in after.requests if r.step == LETTER]
    assert letter.details["lawyer"] == "王律师" and letter.details["issued_on"] == "2026-06-11"
    assert letter.details["licence"] == "13101200010000001" and letter.details["approved_by"] == "sim"
    ladder = dict(after.ladder)
    assert ladder["d105-open_litigation_task"] >= ladder[LETTER] + 7  # `after` the letter, 7 days on


def test_declined_the_step_is_skipped_with_the_firm_s_reason() -> None:
    run = up_to_the_draft()
    declined = answer("declined", reason="the claim's evidence is too thin")
    check_confirm_lawyer_letter(run.state, declined, START + days(96))
    apply_confirm_lawyer_letter(run.state, declined, START + days(96))
    after = simulate(run.state, START + days(96), START + days(130))
    assert (LETTER, "the law firm declined to issue it: the claim's evidence is too thin") in after.skipped
    assert LETTER not in [r.step for r in after.requests]


def test_no_firm_configured_the_step_says_so_and_sends_nothing() -> None:
    run = up_to_the_draft()
    del run.state.work[DRAFT]  # as when the draft's activity was refused: no firm, no task
    why = "send_lawyer_letter_draft failed: creditor acme names no law firm"
    run.state.record_step(START + days(96), DRAFT, "failed", why, 91)
    after = simulate(run.state, START + days(96), START + days(130))
    assert (LETTER, f"no lawyer's letter without a law firm to issue it: {why}") in after.skipped
    assert LETTER not in [r.step for r in after.requests]


def rejected(state: AccountState, command: ConfirmLawyerLetter, now: datetime) -> str:
    with pytest.raises(CommandRejected) as refused:
        check_confirm_lawyer_letter(state, command, now)
    return str(refused.value)


def test_an_answer_is_checked_against_the_draft() -> None:
    before = simulate(open_account(STANDARD, START), START, START + days(60))
    assert "no draft of d091-issue_lawyer_letter waits" in rejected(before.state, answer(), START + days(60))
    run = up_to_the_draft()
    now = START + days(96)
    other = ConfirmLawyerLetter(command_id="x", by="legal-1", step="d075-send_final_notice", answer="declined",
                                reason="?")  # fmt: skip
    assert "no draft of d075-send_final_notice" in rejected(run.state, other, now)
    assert "not between the draft" in rejected(run.state, answer(issued_on=date(2026, 6, 1)), now)  # before it
    assert "not between the draft" in rejected(run.state, answer(issued_on=date(2026, 6, 20)), now)  # tomorrow
    apply_confirm_lawyer_letter(run.state, answer(), now)
    check_confirm_lawyer_letter(run.state, answer(), now)  # the same command again: accepted, applied once
    assert "already answered for d091-issue_lawyer_letter: issued" in rejected(run.state, answer(command_id="2"), now)
    with pytest.raises(ValidationError, match="names its lawyer"):
        answer(lawyer=None)
    with pytest.raises(ValidationError, match="firm's reason"):
        answer("declined")
