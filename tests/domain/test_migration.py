"""migrate_policy: an in-flight account moves to another policy version, keeping its day or restarting a stage."""

from datetime import UTC, datetime

import pytest

from domain.account import AccountState
from domain.commands import ApprovalDecision, MigratePolicy
from domain.policy import Policy, Step
from domain.policy_book import PolicyBook
from domain.rerouting import CommandRejected, apply_decision, apply_migrate, check_migrate
from domain.status import account_status
from tests.domain.simulate import days, open_account, simulate

BOOK = PolicyBook()
STANDARD = BOOK.for_segment("standard")
START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)  # day 1, 09:00 in Shanghai


def version_2(**changes: object) -> Policy:
    """standard v2: an extra SMS on day 38 and day 50, the demand letter on day 33 instead of 31."""
    moved = {"after": "d033-send_demand_letter"}
    steps = [s.model_copy(update=moved) if s.after == "d031-send_demand_letter" else s for s in STANDARD.steps
             if s.key != "d031-send_demand_letter"]  # fmt: skip
    steps += [Step(day=33, action="send_demand_letter", template="formal_demand", deadline_days=14),
              Step(day=38, action="send_sms", template="demand_followup"),
              Step(day=50, action="send_sms", template="demand_followup")]  # fmt: skip
    return STANDARD.model_copy(update={"version": 2, "steps": sorted(steps, key=lambda s: s.day), **changes})


def migrate(state: AccountState, now: datetime, policy: Policy, stage: str | None = None, cid: str = "m1") -> None:
    mapping = "restart_at_stage" if stage else "keep_day"
    command = MigratePolicy(command_id=cid, by="ops-lead", policy=policy, mapping=mapping, stage=stage,
                            reason="ladder v2 rollout")  # fmt: skip
    check_migrate(state, command, now)
    apply_migrate(state, command, now)


def test_keep_day_skips_the_new_ladders_past_and_goes_on_with_its_future() -> None:
    at = START + days(39)  # day 40, after the v1 demand letter (day 31) and call (35)
    run = simulate(open_account(STANDARD, START), START, START + days(120),
                   {at: lambda state, now: migrate(state, now, version_2())})  # fmt: skip
    ladder = run.ladder
    assert ("d031-send_demand_letter", 31) in ladder and ("d050-send_sms", 50) in ladder
    assert "d033-send_demand_letter" not in dict(ladder) and "d038-send_sms" not in dict(ladder)
    assert run.state.handled["d033-send_demand_letter"] == "skipped"
    assert any(h.detail == "d033-send_demand_letter: before the policy migration (day 40)" for h in run.state.history)
    status = account_status(run.state, START + days(120))
    assert status.policy == "standard v2"
    move = status.migrations[0]
    assert (move.from_policy, move.to_policy, move.day_before, move.day_after) == ("standard v1", "standard v2", 40, 40)
    assert "migrated     standard v1 → standard v2 (same day, day 40 → 40) by ops-lead" in status.describe()
    assert any("migrate_policy by ops-lead: standard v1 → standard v2" in h.detail for h in status.history)


def test_restart_at_a_stage_runs_its_steps_again_under_new_keys() -> None:
    at = START + days(64)  # day 65: strict, after the escalation of day 61
    run = simulate(open_account(STANDARD, START), START, START + days(200),
                   {at: lambda state, now: migrate(state, now, version_2(), stage="formal_demand")})  # fmt: skip
    letters = [r for r in run.requests if r.step.endswith("send_demand_letter")]
    assert [r.step for r in letters] == ["d031-send_demand_letter", "d033-send_demand_letter"]
    assert letters[0].idempotency_key.endswith("/evt-1/d031-send_demand_letter")
    assert letters[1].idempotency_key.endswith("/evt-1/r1/d033-send_demand_letter")  # a key never used before
    escalations = [(key, when) for key, _, when in run.acted if key == "d061-escalate_to_manager"]
    assert len(escalations) == 2 and escalations[1][1] >= at + days(61 - 33)  # the ladder went back 34 days
    assert run.state.migrations[0].day_after == 31 and run.state.shift_days == 65 - 31


def test_a_pending_approval_for_a_step_the_new_policy_lacks_is_dropped() -> None:
    state = open_account(STANDARD, START)
    run = simulate(state, START, START + days(92), approve=False)  # day 90's lock waits for approval
    assert "d090-lock_new_orders" in run.state.approvals
    without_lock = version_2(steps=[s for s in STANDARD.steps if s.key != "d090-lock_new_orders"])
    migrate(run.state, START + days(92), without_lock)
    assert "d090-lock_new_orders" not in run.state.approvals
    decide = ApprovalDecision(command_id="ok", by="sup", step="d091-issue_lawyer_letter", reason="go")
    approve_on_95 = {START + days(95): lambda s, now: apply_decision(s, decide, now, approve=True)}
    after = simulate(run.state, START + days(92), START + days(120), approve_on_95, approve=False)
    assert "firm-draft-d091-issue_lawyer_letter" in [key for key, _, _ in after.acted]  # approved: drafted for the firm


@pytest.mark.parametrize(
    ("policy", "stage", "reason"),
    [
        (STANDARD, None, "already on standard v1"),
        (version_2(), "nowhere", "restart_at_stage needs a stage of standard"),
        (version_2(day_seconds=0.2), None, "between compressed and calendar time"),
    ],
)
def test_migrations_that_cannot_apply_are_rejected(policy: Policy, stage: str | None, reason: str) -> None:
    state = open_account(STANDARD, START)
    command = MigratePolicy(command_id="m", by="x", policy=policy, reason="r",
                            mapping="restart_at_stage" if stage else "keep_day", stage=stage)  # fmt: skip
    with pytest.raises(CommandRejected, match=reason):
        check_migrate(state, command, START + days(5))


def test_the_same_command_twice_migrates_once() -> None:
    state = open_account(STANDARD, START)
    migrate(state, START + days(5), version_2(), stage="friendly")
    migrate(state, START + days(6), version_2(), stage="friendly")  # redelivered: accepted, no change
    assert len(state.migrations) == 1 and state.generation == 1
