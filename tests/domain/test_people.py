"""People's work on an account (rules 3): the approval matrix and four eyes, write-offs and out-of-policy plans as
requests, calls and visits as evidence under the caps and hours, tasks followed until done."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.authority import LEVELS, may_decide, rank
from domain.caps import caps_allow
from domain.commands import AgreeInstallmentPlan, ApprovalDecision, CompleteTask, RecordContact, WriteOff
from domain.planner import Act, Defer, Wait, plan
from domain.policy import ApprovalRules, Authority
from domain.rerouting import (
    CommandForbidden,
    CommandRejected,
    apply_complete_task,
    apply_decision,
    apply_installment_plan,
    apply_record_contact,
    apply_write_off,
    check_complete_task,
    check_decision,
    check_installment_plan,
    check_record_contact,
    check_write_off,
    settle,
)
from domain.status import account_status
from tests.domain.simulate import open_account
from tests.domain.test_caps import BOOK, MONDAY, NEW_YORK, account

STANDARD = BOOK.for_segment("standard")
SHANGHAI_MORNING = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Wednesday


def decision(step: str, by: str, level: str | None, n: int = 1) -> ApprovalDecision:
    return ApprovalDecision(command_id=f"d-{n}", by=by, step=step, reason="ok", approver_level=level)


def call(n: int, at: datetime, result: str = "no_answer", **fields: object) -> RecordContact:
    return RecordContact(command_id=f"call-{n}", by="ana", channel="call", result=result, at=at, **fields)


def record(state, command: RecordContact) -> None:
    check_record_contact(state, command, command.at)
    apply_record_contact(state, command, command.at)


# --- the approval matrix ---


def test_the_matrix_names_the_highest_band_reached() -> None:
    rows = [Authority(subject="write_off", level="manager"),
            Authority(subject="write_off", from_amount=Decimal(50000), level="general_manager")]  # fmt: skip
    rules = ApprovalRules(matrix=rows)
    assert [rules.levels[rules.needed("write_off", Decimal(b))] for b in ("10", "49999.99", "50000", "9e9")] == [
        "manager", "manager", "general_manager", "general_manager"
    ]  # fmt: skip
    assert rules.levels[rules.needed("issue_lawyer_letter", Decimal(1))] == "supervisor"  # no row: the first level


def test_a_matrix_row_must_name_a_known_subject_and_a_listed_level() -> None:
    with pytest.raises(ValueError, match="unknown subject 'write_of'"):
        Authority(subject="write_of", level="manager")
    with pytest.raises(ValueError, match=r"not in approvals\.levels: general_manager"):
        ApprovalRules(
            levels=["supervisor", "manager"], matrix=[Authority(subject="write_off", level="general_manager")]
        )


@given(st.sampled_from([None, *LEVELS]), st.sampled_from(LEVELS))
def test_only_a_level_at_or_above_the_one_needed_may_decide(approver: str | None, needed: str) -> None:
    assert may_decide(approver, needed) == (approver is not None and rank(approver) >= rank(needed))


def test_the_lawyers_letter_goes_straight_to_the_general_manager_and_nobody_below_decides() -> None:
    state = open_account(STANDARD, SHANGHAI_MORNING)
    day_91 = SHANGHAI_MORNING + timedelta(days=90)
    state.handled |= {s.key: "done" for s in STANDARD.steps if s.day < 91 and not s.needs_approval}
    state.handled["d090-lock_new_orders"] = "skipped"
    settle(state, day_91)
    approval = state.approvals["d091-issue_lawyer_letter"]
    assert (STANDARD.approvals.levels[approval.level], approval.requested_by) == ("general_manager", "system")
    for level in (None, "supervisor", "manager"):
        with pytest.raises(CommandForbidden, match="needs a general_manager or above"):
            check_decision(state, decision("d091-issue_lawyer_letter", "sam", level), day_91)
    check_decision(state, decision("d091-issue_lawyer_letter", "gia", "general_manager"), day_91)


def test_a_write_off_waits_for_approval_and_its_requester_may_not_decide_it() -> None:
    state = open_account(STANDARD, SHANGHAI_MORNING)
    write_off = WriteOff(command_id="w-1", by="sam", reason="debtor dissolved")
    check_write_off(state, write_off, SHANGHAI_MORNING)
    apply_write_off(state, write_off, SHANGHAI_MORNING)
    assert state.write_off is None and state.approvals["write-off-1"].subject == "write_off"
    with pytest.raises(CommandRejected, match="already waits"):
        check_write_off(state, WriteOff(command_id="w-2", by="max", reason="again"), SHANGHAI_MORNING)
    with pytest.raises(CommandForbidden, match="four eyes"):
        check_decision(state, decision("write-off-1", "sam", "general_manager"), SHANGHAI_MORNING)
    approve = decision("write-off-1", "max", "manager")
    check_decision(state, approve, SHANGHAI_MORNING)
    apply_decision(state, approve, SHANGHAI_MORNING, approve=True)
    assert state.write_off == "debtor dissolved (asked by sam, approved by max)"
    assert plan(state, SHANGHAI_MORNING).outcome == "written_off"  # type: ignore[union-attr]


def test_before_rules_3_a_write_off_closes_at_once() -> None:
    state = open_account(STANDARD, SHANGHAI_MORNING)
    state.rules = 2
    apply_write_off(state, WriteOff(command_id="w-1", by="sam", reason="old rules"), SHANGHAI_MORNING)
    assert state.write_off == "old rules (by sam)" and not state.approvals


def plan_of(n: int, first_in_days: int, amount: str) -> AgreeInstallmentPlan:
    today = SHANGHAI_MORNING.date()
    return AgreeInstallmentPlan(command_id="plan-1", by="ana", currency="CNY", installments=[
        {"amount": amount, "due_date": today + timedelta(days=first_in_days + 30 * i)} for i in range(n)
    ])  # fmt: skip


def test_a_plan_outside_the_policys_limits_waits_for_approval_instead_of_being_refused() -> None:
    state = open_account(STANDARD, SHANGHAI_MORNING)
    long_plan = plan_of(12, 10, "1000.00")  # the policy allows 2 to 6 installments
    check_installment_plan(state, long_plan, SHANGHAI_MORNING)
    apply_installment_plan(state, long_plan, SHANGHAI_MORNING)
    assert state.installment_plan is None
    approval = state.approvals["plan-plan-1"]
    assert approval.about == "a plan has 2 to 6 installments (policy), got 12" and approval.requested_by == "ana"
    assert STANDARD.approvals.levels[approval.needed] == "supervisor"  # the matrix: below 100,000
    approve = decision("plan-plan-1", "sam", "supervisor")
    check_decision(state, approve, SHANGHAI_MORNING)
    apply_decision(state, approve, SHANGHAI_MORNING, approve=True)
    assert state.installment_plan is not None and state.installment_plan.agreed_by == "ana, approved by sam"
    assert len(state.installment_plan.installments) == 12


def test_a_plan_that_does_not_add_up_is_still_refused() -> None:
    state = open_account(STANDARD, SHANGHAI_MORNING)
    with pytest.raises(CommandRejected, match=r"installments sum to 12\.00"):
        check_installment_plan(state, plan_of(12, 10, "1.00"), SHANGHAI_MORNING)


# --- calls and visits under the caps and the hours ---


def test_ten_call_attempts_or_five_conversations_a_day_then_the_next_call_is_refused() -> None:
    state = account()
    for n in range(10):
        record(state, call(n, MONDAY + timedelta(minutes=n)))
    with pytest.raises(CommandRejected, match=r"10 calls already on the debtor's day .*at most 10 a day"):
        check_record_contact(state, call(10, MONDAY + timedelta(hours=1)), MONDAY + timedelta(hours=1))
    other = account()
    for n in range(5):
        record(other, call(n, MONDAY + timedelta(minutes=n), "reached"))
    with pytest.raises(CommandRejected, match=r"5 conversations already .*at most 5 a day"):
        check_record_contact(other, call(5, MONDAY + timedelta(hours=1)), MONDAY + timedelta(hours=1))
    at, why = caps_allow(other, "call", MONDAY + timedelta(hours=1), NEW_YORK)
    assert at == datetime(2026, 3, 10, tzinfo=NEW_YORK) and "at most 5 conversations a day" in why
    next_day = MONDAY + timedelta(days=1)
    check_record_contact(other, call(6, next_day), next_day)  # a new day in New York


def test_two_visits_a_day() -> None:
    state = account()
    for n in range(2):
        visit = RecordContact(command_id=f"v-{n}", by="fei", channel="visit", result="not_found",
                              at=MONDAY + timedelta(hours=n))  # fmt: skip
        record(state, visit)
    third = RecordContact(command_id="v-3", by="fei", channel="visit", result="visited", at=MONDAY + timedelta(hours=3))
    with pytest.raises(CommandRejected, match="2 visits already"):
        check_record_contact(state, third, third.at)


def test_a_call_outside_the_debtors_hours_is_refused_with_the_next_permitted_moment() -> None:
    state = account()
    late = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # 21:30 in New York
    with pytest.raises(CommandRejected, match=r"allowed 08:00-21:00 .*Mon 2026-03-09 21:30 there: next permitted "
                                              r"Tue 2026-03-10 08:00"):  # fmt: skip
        check_record_contact(state, call(1, late), late)


def test_no_call_while_the_whole_balance_is_disputed() -> None:
    from domain.commands import OpenDispute
    from domain.rerouting import apply_dispute

    state = account()
    apply_dispute(state, OpenDispute(command_id="dis-1", by="ana", reason="never ordered"), MONDAY)
    with pytest.raises(CommandRejected, match="no call now: the whole balance is disputed"):
        check_record_contact(state, call(1, MONDAY), MONDAY)


def test_a_promise_taken_in_a_call_holds_the_ladder_and_is_checked_like_a_promise() -> None:
    state = account()
    too_much = call(1, MONDAY, "reached", promise={"amount": "99999.00", "currency": "CNY",
                                                   "promised_date": MONDAY.date() + timedelta(days=5)})  # fmt: skip
    with pytest.raises(CommandRejected, match="more than the balance"):
        check_record_contact(state, too_much, MONDAY)
    friday = MONDAY.date() + timedelta(days=5)
    good = call(2, MONDAY, "reached", notes="will pay Friday", duration_minutes=4,
                promise={"amount": "5000.00", "currency": "CNY", "promised_date": friday})  # fmt: skip
    record(state, good)
    [promise] = state.promises
    assert (promise.promise_id, promise.taken_by, promise.amount) == ("call-2.agreed", "ana", Decimal("5000.00"))
    [made] = state.contact_records
    assert (made.channel, made.result, made.notes, made.duration_minutes) == ("call", "reached", "will pay Friday", 4)
    assert "promise" in account_status(state, MONDAY).held


def test_a_callback_moves_the_task_and_a_result_closes_it() -> None:
    state = open_account(STANDARD, SHANGHAI_MORNING)
    day_35 = SHANGHAI_MORNING + timedelta(days=34)
    state.handled |= {s.key: "done" for s in STANDARD.steps if s.day < 35}
    decided = plan(state, day_35)
    assert isinstance(decided, Act) and decided.step.key == "d035-create_call_task"
    state.record_step(day_35, decided.step.key, "done", "given", 35, action=decided.step.action)
    item = state.work["d035-create_call_task"]
    assert item.kind == "collector_call" and item.due_at == day_35 + timedelta(days=2) - timedelta(hours=1)
    callback = day_35 + timedelta(days=5)
    record(state, call(1, day_35, "reached", task=item.key, callback_at=callback))
    assert item.state == "open" and item.due_at == callback
    record(state, call(2, callback, "no_answer", task=item.key))
    assert (item.state, item.done_by, item.outcome) == ("done", "ana", "call no_answer")
    with pytest.raises(CommandRejected, match="already done"):
        check_complete_task(state, CompleteTask(command_id="c", by="ana", task=item.key, outcome="x"), callback)


def test_an_overdue_task_is_told_to_each_level_of_the_chain_a_day_apart_until_done() -> None:
    state = open_account(STANDARD, SHANGHAI_MORNING)
    day_61 = SHANGHAI_MORNING + timedelta(days=60)
    state.handled |= {s.key: "done" for s in STANDARD.steps if s.day < 61}
    escalation = STANDARD.steps[[s.day for s in STANDARD.steps].index(61)]
    state.record_step(day_61 - timedelta(hours=1), escalation.key, "done", "given", 61, action=escalation.action)
    due = state.work[escalation.key].due_at  # deadline_days 3: day 64, 09:00
    told = []
    for hours in range(0, 24 * 6, 6):
        now = day_61 + timedelta(hours=hours)
        decided = plan(state, now)
        if isinstance(decided, Act) and decided.step.key.startswith("work-"):
            told.append((decided.request.assignee_role, decided.request.details["notice"], now - due))
            state.record_step(now, decided.step.key, "done", "told", 0, action=decided.step.action)
        if len(told) == 2:
            apply_complete_task(state, CompleteTask(command_id="c-1", by="max", task=escalation.key,
                                                    outcome="called the CFO"), now)  # fmt: skip
    assert [(who, n) for who, n, _ in told] == [("supervisor", "1"), ("manager", "2")]  # done before the GM's turn
    assert told[0][2] < timedelta(hours=6) and told[1][2] - told[0][2] == timedelta(days=1)
    assert state.work[escalation.key].outcome == "called the CFO"


def test_a_step_that_awaits_a_result_holds_the_ladder_until_it_comes_or_its_time_runs_out() -> None:
    steps = [s.model_copy(update={"awaits_result": True}) if s.day == 68 else s for s in STANDARD.steps]
    policy = STANDARD.model_copy(update={"steps": steps})
    state = open_account(policy, SHANGHAI_MORNING)
    state.handled |= {s.key: "done" for s in steps if s.day < 68}
    day_68 = SHANGHAI_MORNING + timedelta(days=67)
    visit = next(s for s in steps if s.day == 68)
    state.record_step(day_68, visit.key, "done", "given", 68, action=visit.action)
    day_75 = SHANGHAI_MORNING + timedelta(days=74, hours=1)
    while isinstance(told := plan(state, day_75), Act) and told.step.key.startswith("work-"):  # it is overdue
        state.record_step(day_75, told.step.key, "done", "told", 0, action=told.step.action)
    waiting = plan(state, day_75)
    assert isinstance(waiting, Wait) and "waiting for the result of d068-create_visit_task" in (waiting.reason or "")
    going_on = plan(state, day_68 + timedelta(days=14))  # 14 days (awaits_result_days): it goes on
    assert isinstance(going_on, Act | Defer) and going_on.step.key == "d075-send_final_notice"  # Sunday: Monday
    visited = RecordContact(command_id="v-1", by="fei", channel="visit", result="visited", at=day_75,
                            agreed="will pay half by the 20th", task=visit.key)  # fmt: skip
    record(state, visited)
    decided = plan(state, day_75)
    assert isinstance(decided, Act | Defer) and decided.step.key == "d075-send_final_notice"


@given(st.lists(st.tuples(st.integers(0, 3 * 24 * 60), st.sampled_from(["reached", "no_answer", "refused"])),
                max_size=40))  # fmt: skip
def test_whatever_is_recorded_no_debtor_day_holds_more_calls_or_conversations_than_the_caps(
    calls: list[tuple[int, str]],
) -> None:
    state = account()
    for n, (minute, result) in enumerate(sorted(calls)):
        at = MONDAY + timedelta(minutes=minute)
        try:
            record(state, call(n, at, result))
        except CommandRejected:
            continue
    days: dict[object, list[bool]] = {}
    for made in state.contacts:
        days.setdefault(made.at.astimezone(NEW_YORK).date(), []).append(made.conversation)
    for day in days.values():
        assert len(day) <= 10 and sum(day) <= 5
        assert all(8 <= c.at.astimezone(NEW_YORK).hour < 21 for c in state.contacts)
