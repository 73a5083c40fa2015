"""Every recorded history replays against the current workflow code: a change that would break accounts already
running (a non-deterministic change) fails here, before it is deployed. See tests/histories/README.md."""

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from worker import SANDBOX
from workflows.collection import CollectionWorkflow

HISTORIES = sorted((Path(__file__).resolve().parents[1] / "histories").glob("*/*.json"))
MAIN_PATHS = {
    "test_full_ladder_sends_exactly_the_expected_messages_on_the_right_days",
    "test_promise_kept_pauses_contact_then_resumes_where_it_was",
    "test_broken_promise_moves_the_ladder_to_the_next_stage_at_once",
    "test_installment_plan_defaulted_on_the_second_installment_resumes_at_strict",
    "test_dispute_upheld_on_one_invoice_cancels_it_and_the_rest_is_collected",
    "test_bankruptcy_stops_contact_opens_a_claim_for_legal_and_closes",
    "test_pause_and_resume_move_the_deadlines",
    "test_approval_granted_then_rejected_lawyer_letter_keeps_the_account_in_strict",
    "test_signals_and_updates_around_the_boundary_are_all_applied_once",
    "test_an_account_moves_to_v2_keeping_its_day",
    "test_interest_fees_and_allocation_survive_the_workflow",
}


def test_the_recorded_histories_cover_the_main_paths() -> None:
    assert {path.stem for path in HISTORIES} >= MAIN_PATHS


@pytest.mark.parametrize("path", HISTORIES, ids=lambda path: f"{path.parent.name}/{path.stem}")
async def test_a_recorded_history_replays_on_the_current_code(path: Path) -> None:
    history = WorkflowHistory.from_json(f"{path.parent.name}-{path.stem}", path.read_text(encoding="utf-8"))
    replayer = Replayer(workflows=[CollectionWorkflow], data_converter=pydantic_data_converter, workflow_runner=SANDBOX)
    await replayer.replay_workflow(history)
