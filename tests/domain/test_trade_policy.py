"""The `trade` policy follows seed 002: email and call every two days, daily from day 15; the supervisor at day 14,
the manager at 30, the general manager at 60; new orders locked at 90 with the boss's consent; then the written
demand and the lawyer's letter."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.kinds import DEBTOR_CONTACT, ActionKind
from domain.policy_book import PolicyBook
from tests.domain.simulate import days, open_account, simulate

TRADE = PolicyBook().for_segment("trade")
SHANGHAI = ZoneInfo("Asia/Shanghai")
DUE = date(2026, 6, 1)


def run_trade():
    opened = datetime.combine(DUE + timedelta(days=1), time(9, 30), tzinfo=SHANGHAI).astimezone(UTC)
    return simulate(open_account(TRADE, opened, due_date=DUE, segment="trade"), opened, opened + days(130))


def test_the_chain_is_told_in_turn_then_orders_are_locked_then_the_letters_go() -> None:
    run = run_trade()
    escalations = [(r.days_past_due, r.assignee_role) for r in run.requests if r.action == ActionKind.ESCALATION]
    assert escalations == [(14, "supervisor"), (30, "manager"), (60, "general_manager")]
    assert all(r.details["escalated_to"] == r.assignee_role for r in run.requests if r.action == ActionKind.ESCALATION)
    later = [(key, day) for key, day in run.ladder if day >= 90 and key[5:] in ("lock_new_orders", "send_demand_letter",
             "issue_lawyer_letter", "open_litigation_task")]  # fmt: skip
    assert [key for key, _ in later] == ["d090-lock_new_orders", "d091-send_demand_letter", "d105-issue_lawyer_letter",
                                         "d120-open_litigation_task"]  # fmt: skip
    letter, lawyer = later[1][1], later[2][1]
    assert lawyer - letter >= 14  # the demand letter's deadline first


def test_follow_up_every_two_days_then_daily_by_email_and_call() -> None:
    run = run_trade()
    contacts = Counter(day for key, day in run.ladder if key.endswith(("send_email", "create_call_task")))
    assert [d for d in range(1, 15) if contacts[d]] == [1, 3, 5, 7, 9, 11, 13]
    # An email and a call every day, but on 19 June 2026 (day 18, Dragon Boat Festival): no contact on a public
    # holiday; day 18's go the next morning and day 19's, due as well, are superseded by day 20's.
    assert [d for d in range(15, 90) if contacts[d] != 2] == [18]
    assert ("d019-send_email", "superseded by d020-send_email, due as well") in run.skipped
    debtor_keys = {s.key for s in TRADE.steps if s.action in DEBTOR_CONTACT}
    per_day = Counter(at.astimezone(SHANGHAI).date() for key, _, at in run.acted if key in debtor_keys)
    assert max(per_day.values()) == 2  # ladder_contacts_per_day


def test_a_call_task_replaces_the_one_before_it() -> None:
    run = run_trade()
    calls = [item for item in run.state.work.values() if item.kind == "collector_call"]
    given = [key for key, _ in run.ladder if key.endswith("create_call_task")]
    assert len(calls) == len(given) == 81 and sum(item.state == "open" for item in calls) <= 1  # d019 superseded
    assert calls[0].outcome == f"superseded by {calls[1].key}"
    supersedes = [r.details.get("supersedes") for r in run.requests if r.action == ActionKind.CALL_TASK]
    assert supersedes[0] is None and supersedes[1] == "d001-create_call_task"
