"""The legal case's lifecycle (domain.legal_proceedings): the steps the legal team records, the windows and the
enforcement deadline the case's own clocks keep, and the tasks each stage gives."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from domain.case_messages import CaseStep
from domain.legal_proceedings import (
    MAX_CASE_STEPS,
    CaseRejected,
    CaseState,
    apply_step,
    check_step,
    current_task,
    elapse,
    next_task,
    next_wake,
    open_tasks,
)

OPENED = datetime(2027, 3, 1, 2, tzinfo=UTC)  # 10:00 in Shanghai


def new_case() -> CaseState:
    return CaseState(case_id="CASE-ACC-1-e1", account_id="ACC-1", account_workflow_id="collection-ACC-1",
                     timezone="Asia/Shanghai", currency="CNY", claimed=Decimal("80000.00"), opened_at=OPENED,
                     stage_since=OPENED)  # fmt: skip


def record(case: CaseState, now: datetime, step: str, on: date, **fields: object) -> None:
    command = CaseStep.model_validate({"command_id": f"c-{len(case.history)}", "by": "wang.fa", "step": step,
                                       "on": on, **fields})  # fmt: skip
    check_step(case, command, now)
    apply_step(case, command, now)


def give_due_tasks(case: CaseState, now: datetime) -> list[str]:
    """What the case's workflow does at `now`: the clocks first, then every task due, once."""
    elapse(case, now)
    given = []
    while (task := next_task(case, now)) is not None:
        case.tasks_opened.append(task.key)
        given.append(task.key)
    return given


def test_a_payment_order_unopposed_becomes_enforceable_and_its_deadline_is_reminded_then_lapses() -> None:
    case = new_case()
    assert give_due_tasks(case, OPENED) == ["01-filing"]
    assert current_task(case).due_at == datetime(2027, 3, 31, 10, tzinfo=UTC)  # 30 days, 18:00 in Shanghai
    record(case, OPENED + timedelta(days=2), "filed", date(2027, 3, 3), route="payment_order", court="浦东法院")
    assert case.stage == "payment_order" and open_tasks(case) == []  # the filing task is done
    record(case, OPENED + timedelta(days=12), "payment_order_served", date(2027, 3, 12))
    assert (case.stage, case.window_ends) == ("objection_window", date(2027, 3, 27))  # 15 days to object
    assert next_wake(case, OPENED + timedelta(days=12)) == datetime(2027, 3, 27, 16, tzinfo=UTC)  # 28th, 00:00
    elapse(case, datetime(2027, 3, 27, 15, tzinfo=UTC))
    assert case.stage == "objection_window"  # still the 27th in Shanghai
    on_the_28th = datetime(2027, 3, 27, 16, tzinfo=UTC)
    assert give_due_tasks(case, on_the_28th) == ["04-apply"]
    assert (case.stage, case.effective_on, case.enforcement_deadline) == (
        "enforcement_application",
        date(2027, 3, 28),
        date(2029, 3, 28),
    )
    assert case.judgment and case.judgment.amount == Decimal("80000.00") and case.judgment.source == "payment_order"
    # Reminders 90, 30 and 7 days before the deadline, at 09:00 there; then the lapse on the day after it.
    assert next_wake(case, on_the_28th) == datetime(2028, 12, 28, 1, tzinfo=UTC)
    assert give_due_tasks(case, datetime(2028, 12, 28, 1, tzinfo=UTC)) == ["04-reminder-90"]
    assert give_due_tasks(case, datetime(2029, 3, 21, 1, tzinfo=UTC)) == ["04-reminder-30", "04-reminder-7"]
    assert give_due_tasks(case, datetime(2029, 3, 28, 15, tzinfo=UTC)) == [] and not case.lapsed
    assert give_due_tasks(case, datetime(2029, 3, 28, 16, tzinfo=UTC)) == ["04-lapsed"]
    assert case.lapsed and case.history[-1].detail == (
        "the enforcement deadline 2029-03-28 passed with no application recorded"
    )
    assert [p.stage for p in case.to_tell] == ["payment_order", "objection_window", "enforcement_application",
                                               "enforcement_application"]  # fmt: skip


def test_an_objection_sends_the_claim_to_a_lawsuit_and_a_judgment_appealed_is_final_on_second_instance() -> None:
    case = new_case()
    record(case, OPENED, "filed", date(2027, 3, 1), route="payment_order")
    record(case, OPENED, "payment_order_served", date(2027, 3, 1))
    record(case, OPENED + timedelta(days=5), "objection", date(2027, 3, 6))
    assert (case.stage, case.route) == ("filing", "lawsuit")
    assert current_task(case).summary.startswith("file the claim as a lawsuit")
    with pytest.raises(CaseRejected, match="goes to a lawsuit"):
        record(case, OPENED + timedelta(days=6), "filed", date(2027, 3, 7), route="payment_order")
    record(case, OPENED + timedelta(days=6), "filed", date(2027, 3, 7), route="lawsuit", reference="(2027)沪民初1号")
    record(case, OPENED + timedelta(days=40), "hearing_scheduled", date(2027, 4, 10), hearing_on=date(2027, 5, 20))
    assert current_task(case).summary == "attend the hearing on 2027-05-20; record the judgment or the mediation"
    record(case, datetime(2027, 6, 1, tzinfo=UTC), "judgment", date(2027, 6, 1), amount_awarded="78000.00",
           costs_awarded="1750.00", currency="CNY")  # fmt: skip
    assert (case.stage, case.window_ends) == ("appeal_window", date(2027, 6, 16))
    assert case.to_tell[-2].costs == Decimal("1750.00") and case.to_tell[-2].currency == "CNY"
    record(case, datetime(2027, 6, 10, tzinfo=UTC), "appeal", date(2027, 6, 10))
    record(case, datetime(2027, 9, 1, tzinfo=UTC), "judgment", date(2027, 9, 1), amount_awarded="78000.00",
           currency="CNY")  # fmt: skip
    assert (case.stage, case.enforcement_deadline) == ("enforcement_application", date(2029, 9, 1))


def test_enforcement_is_reviewed_every_period_and_the_defaulter_list_recorded() -> None:
    case = new_case()
    record(case, OPENED, "filed", date(2027, 3, 1), route="lawsuit")
    record(case, OPENED, "mediation", date(2027, 3, 1), result="agreed", amount_awarded="60000.00", currency="CNY")
    assert (case.stage, case.effective_on) == ("enforcement_application", date(2027, 3, 1))
    record(case, OPENED, "enforcement_applied", date(2027, 3, 1), reference="(2027)沪0115执1号")
    assert give_due_tasks(case, OPENED) == ["04-review-1"]
    assert give_due_tasks(case, datetime(2027, 5, 30, 9, tzinfo=UTC)) == []
    assert give_due_tasks(case, datetime(2027, 5, 30, 10, tzinfo=UTC)) == ["04-review-2"]  # review 1 falls due
    assert current_task(case).key == "04-review-2" and "defaulter list" in current_task(case).summary
    record(case, OPENED + timedelta(days=91), "defaulter_listed", date(2027, 5, 30))
    assert "defaulter list" not in current_task(case).summary
    record(case, OPENED + timedelta(days=92), "close", date(2027, 6, 1), outcome="uncollectable", note="no assets")
    assert (case.stage, case.outcome, case.to_tell[-1].outcome) == ("closed", "uncollectable", "uncollectable")
    assert next_task(case, OPENED + timedelta(days=400)) is None and next_wake(case, OPENED) is None


@pytest.mark.parametrize(
    ("step", "fields", "reason"),
    [
        ("judgment", {"amount_awarded": "1.00", "currency": "CNY"}, "cannot be recorded while the case is to be filed"),
        ("filed", {"route": "lawsuit", "on": date(2027, 3, 2)}, "that day has not come yet"),
        ("appeal", {}, "cannot be recorded while the case is to be filed"),
    ],
)
def test_a_step_out_of_place_is_refused_with_the_reason(step: str, fields: dict, reason: str) -> None:
    case = new_case()
    with pytest.raises(CaseRejected, match=reason):
        record(case, OPENED, step, fields.pop("on", date(2027, 3, 1)), **fields)


def test_a_repeated_step_applies_once_and_the_same_id_for_another_step_is_refused() -> None:
    case = new_case()
    step = CaseStep(command_id="c-1", by="wang.fa", step="filed", on=date(2027, 3, 1), route="lawsuit")
    for _ in range(2):
        check_step(case, step, OPENED)
        apply_step(case, step, OPENED)
    assert [entry.step for entry in case.history] == ["filed"] and case.entries == 2
    other = step.model_copy(update={"reference": "another"})
    with pytest.raises(CaseRejected, match="already used for another step"):
        check_step(case, other, OPENED)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"step": "filed"}, "filed needs route"),
        ({"step": "judgment", "amount_awarded": "10.00"}, "judgment needs currency"),
        ({"step": "judgment", "amount_awarded": "10.001", "currency": "CNY"}, "more decimals"),
        ({"step": "close"}, "close needs outcome"),
    ],
)
def test_a_step_missing_what_it_needs_is_refused_at_the_edge(fields: dict, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        CaseStep.model_validate({"command_id": "c", "by": "x", "on": date(2027, 3, 1), **fields})


def test_a_case_refuses_steps_beyond_its_limit_and_the_longest_ids_fit() -> None:
    case = new_case()
    case.case_id = f"CASE-{'A' * 128}-{'e' * 128}"  # the longest account and event ids
    record(case, OPENED, "filed", date(2027, 3, 1), route="lawsuit")
    assert case.to_tell[-1].case_id == case.case_id
    case.history += [case.history[0]] * (MAX_CASE_STEPS - len(case.history))
    with pytest.raises(CaseRejected, match=f"holds {MAX_CASE_STEPS} steps, as many as one case may"):
        record(case, OPENED, "preservation", date(2027, 3, 1))
