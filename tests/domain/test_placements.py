"""A placement's record takes whatever the commands accept and loads again: the state is serialised on every
continue-as-new, and a record that no longer validates would stop the account there."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.account import AccountState
from domain.agency_commands import AgencyComplaint, PlaceWithAgency, RecallFromAgency
from domain.bounds import MAX_LIST
from domain.commands import ApprovalDecision
from domain.policy_book import PolicyBook
from domain.rerouting import (
    CommandRejected,
    apply_complaint,
    apply_decision,
    apply_placement,
    apply_recall,
    check_complaint,
)
from tests.domain.simulate import open_account

NOW = datetime(2027, 3, 1, 2, tzinfo=UTC)


def placed() -> AccountState:
    state = open_account(PolicyBook().for_segment("standard"), NOW, due_date=NOW.date() - timedelta(days=45))
    apply_placement(state, PlaceWithAgency(command_id="p", by="wang.fang", agency_id="example-agency",
                                           reason="silent"), NOW)  # fmt: skip
    apply_decision(state, ApprovalDecision(command_id="ok", by="zhao.lei", step="placement-p", reason="ok",
                                           approver_level="manager"), NOW, True)  # fmt: skip
    return state


def test_complaints_and_a_recall_written_over_several_lines_load_again() -> None:
    state = placed()
    apply_complaint(state, AgencyComplaint(command_id="c", by="li.na", text="called at 22:00\nand again at 23:00"), NOW)
    apply_recall(state, RecallFromAgency(command_id="r", by="zhao.lei", reason="complaints:\nsee the notes"), NOW)
    loaded = AccountState.model_validate_json(state.model_dump_json())
    assert loaded.placements[0].complaints == ["called at 22:00\nand again at 23:00"]
    assert loaded.placements[0].recall_reason == "complaints:\nsee the notes (by zhao.lei)"


def test_complaints_stop_at_the_records_limit() -> None:
    state = placed()
    for n in range(MAX_LIST):
        apply_complaint(state, AgencyComplaint(command_id=f"c-{n}", by="li.na", text=f"complaint {n}"), NOW)
    with pytest.raises(CommandRejected, match=f"already holds {MAX_LIST} complaints"):
        check_complaint(state, AgencyComplaint(command_id="c-more", by="li.na", text="one more"), NOW)
    assert len(AccountState.model_validate_json(state.model_dump_json()).placements[0].complaints) == MAX_LIST
