"""Issue 13: while a hold stops the ladder's clock, its day and stage stand still; days past due go on counting."""

from datetime import UTC, datetime

import pytest

from domain import rerouting as rules
from domain.account import RULES
from domain.commands import Pause, Resume
from domain.policy_book import PolicyBook
from domain.status import account_status
from tests.domain.simulate import days, open_account

OPENED = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # day 1 past due at 09:00 Shanghai time


def paused_at_day_22(stops: bool):  # -> AccountState
    state = open_account(PolicyBook().for_segment("standard"), OPENED)
    state.rules = RULES if stops else 0
    pause_day = OPENED + days(21)
    rules.settle(state, pause_day)
    rules.apply_pause(state, Pause(command_id="p1", by="li.na", reason="talks", until=OPENED + days(60)), pause_day)
    rules.settle(state, pause_day)
    return state


def test_during_a_pause_the_stage_and_the_ladder_day_stand_still() -> None:
    state = paused_at_day_22(stops=True)
    during = OPENED + days(30)  # day 31 past due: formal demand, had the ladder gone on
    rules.settle(state, during)
    status = account_status(state, during)
    assert (status.stage, status.ladder_day, status.days_past_due) == ("friendly", 22, 31)
    assert "stage        friendly (ladder day 22), 31 days past due" in status.describe()

    resumed = OPENED + days(35)
    rules.apply_resume(state, Resume(command_id="r1", by="li.na"), resumed)
    rules.settle(state, resumed)
    after = account_status(state, resumed)
    assert (after.stage, after.ladder_day, after.days_past_due, after.held_days) == ("friendly", 22, 36, 14)
    later = OPENED + days(35 + 9)  # nine ladder days on: day 31 of the ladder
    assert account_status(state, later).stage == "formal_demand"


@pytest.mark.parametrize("stops", [True, False])
def test_accounts_opened_before_the_change_keep_their_recorded_behaviour(stops: bool) -> None:
    """Their histories published the moving stage: replaying them must publish it again."""
    state = paused_at_day_22(stops)
    during = OPENED + days(30)
    rules.settle(state, during)
    assert account_status(state, during).stage == ("friendly" if stops else "formal_demand")
