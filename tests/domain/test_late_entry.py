"""Late entry and jumps (rules 4): the written demand is never skipped, debtor contact is spread one a day, and
letters keep office hours. Seed 003: written demand, then lawyer's letter; seed 002: no action outside 08:00-21:00."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.contact_rules import Caps
from domain.kinds import ActionKind
from domain.planner import Act, Decision
from domain.policy import Step
from domain.policy_book import PolicyBook
from domain.status import account_status
from tests.domain.simulate import Run, days, open_account, simulate

BOOK = PolicyBook()
STANDARD = BOOK.for_segment("standard")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Days 40, 75, 89, 100 and 114 after this due date are working days in China (letters go out on them).
DUE = date(2026, 1, 28)


def entering_at(day: int) -> tuple[Run, dict[str, str]]:
    """An account first seen `day` days past DUE at 09:00 Shanghai, run to day 130; and why each step acted."""
    opened = datetime.combine(DUE + timedelta(days=day), time(9, 0), tzinfo=SHANGHAI).astimezone(UTC)
    why: dict[str, str] = {}

    def watch(_state: object, decision: Decision, _now: datetime) -> None:
        if isinstance(decision, Act) and decision.why:
            why[decision.step.key] = decision.why

    run = simulate(open_account(STANDARD, opened, due_date=DUE), opened, opened + days(130 - day), watch=watch)
    return run, why


def test_day_6_spreads_the_sms_and_the_email_over_two_days() -> None:
    run, why = entering_at(6)
    assert run.ladder[:3] == [("d001-send_sms", 6), ("d003-send_email", 7), ("d010-send_sms", 10)]
    assert why == {}


def test_day_40_gets_the_demand_letter_then_the_call_the_next_day() -> None:
    run, why = entering_at(40)
    assert run.ladder[:4] == [("d031-send_demand_letter", 40), ("d035-create_call_task", 41), ("d045-send_sms", 45),
                              ("d061-escalate_to_manager", 61)]  # fmt: skip
    assert [key for key, _ in run.skipped] == ["d001-send_sms", "d003-send_email", "d010-send_sms", "d020-send_email"]
    assert why == {}  # the demand letter is in its own stage: not late


def test_day_75_sends_the_demand_letter_first_and_the_final_notice_after_its_deadline() -> None:
    run, why = entering_at(75)
    assert run.ladder == [
        ("d031-send_demand_letter", 75),
        ("d061-escalate_to_manager", 75),  # internal: not limited
        ("d068-create_visit_task", 76),  # one debtor contact a day
        ("d075-send_final_notice", 89),  # the demand letter's 14 days first
        ("d090-lock_new_orders", 90),
        ("d091-issue_lawyer_letter", 91),
        ("d105-open_litigation_task", 105),
    ]
    assert why == {"d031-send_demand_letter": "sent although the formal_demand stage was over: required before "
                   "d075-send_final_notice"}  # fmt: skip
    assert [key for key, _ in run.skipped] == ["d001-send_sms", "d003-send_email", "d010-send_sms", "d020-send_email",
                                               "d035-create_call_task", "d045-send_sms"]  # fmt: skip


def test_day_100_starts_with_the_demand_letter_not_a_lawyers_letter() -> None:
    run, why = entering_at(100)
    assert run.ladder == [
        ("d031-send_demand_letter", 100),
        ("d075-send_final_notice", 114),
        ("d091-issue_lawyer_letter", 117),  # the final notice's one day, then a Saturday: Monday
        ("d105-open_litigation_task", 124),  # the lawyer's letter's seven days
    ]
    assert why["d075-send_final_notice"] == ("sent although the strict stage was over: required before "
                                             "d091-issue_lawyer_letter")  # fmt: skip
    assert "d090-lock_new_orders" in [key for key, _ in run.skipped]


def test_the_status_says_what_the_final_notice_waits_for() -> None:
    opened = datetime.combine(DUE + timedelta(days=100), time(9, 0), tzinfo=SHANGHAI).astimezone(UTC)
    run = simulate(open_account(STANDARD, opened, due_date=DUE), opened, opened + days(1))
    status = account_status(run.state, opened + days(1))
    assert status.next_action is not None and status.next_action.step == "d075-send_final_notice"
    assert status.next_action.at == datetime(2026, 5, 22, 1, 0, tzinfo=UTC)  # day 114, 09:00 Shanghai


def test_a_jump_never_skips_the_demand_letter() -> None:
    """A jump to the strict stage (a broken promise, a defaulted plan) with no demand letter sent sends it first."""
    due = date(2026, 3, 10)
    opened = datetime.combine(due + timedelta(days=2), time(9, 0), tzinfo=SHANGHAI).astimezone(UTC)
    state = open_account(STANDARD, opened, due_date=due)
    assert simulate(state, opened, opened).ladder == [("d001-send_sms", 2)]
    state.shift_days = -58  # the ladder jumps from day 3 to day 61, as a defaulted plan does
    later = simulate(state, opened + days(1), opened + days(20))
    assert later.ladder == [("d031-send_demand_letter", 3), ("d061-escalate_to_manager", 3),
                            ("d068-create_visit_task", 10), ("d075-send_final_notice", 17)]  # fmt: skip


def test_letters_wait_for_a_business_day_in_office_hours() -> None:
    saturday = date(2026, 1, 31)
    opened = datetime.combine(saturday, time(9, 0), tzinfo=SHANGHAI).astimezone(UTC)
    run = simulate(open_account(STANDARD, opened, due_date=saturday - timedelta(days=31)), opened, opened + days(3))
    monday = datetime(2026, 2, 2, 1, 0, tzinfo=UTC)  # 09:00 Shanghai
    assert ("d031-send_demand_letter", opened, monday) in run.deferred
    assert ("d031-send_demand_letter", 33, monday) in run.acted
    assert any(h.detail.startswith("d031-send_demand_letter deferred: Saturday is not a contact day")
               for h in run.state.history)  # fmt: skip


def test_an_email_is_not_held_behind_an_sms_waiting_for_its_gap() -> None:
    """An SMS held by its caps (here 36 hours between two) does not hold back an email due meanwhile."""
    steps = [Step(day=1, action=ActionKind.SMS, template="friendly_reminder"),
             Step(day=2, action=ActionKind.SMS, template="friendly_reminder"),
             Step(day=2, action=ActionKind.EMAIL, template="friendly_reminder")]  # fmt: skip
    caps = STANDARD.contact.caps | {"sms": Caps(min_gap_hours=36)}
    policy = STANDARD.model_copy(update={"steps": steps, "contact": STANDARD.contact.model_copy(update={"caps": caps})})
    opened = datetime.combine(DUE + timedelta(days=1), time(9, 0), tzinfo=SHANGHAI).astimezone(UTC)
    run = simulate(open_account(policy, opened, due_date=DUE), opened, opened + days(5))
    assert [(key, at.astimezone(SHANGHAI).strftime("%d %H:%M")) for key, _, at in run.acted] == [
        ("d001-send_sms", "29 09:00"),
        ("d002-send_email", "30 09:00"),  # overtakes the SMS its gap holds until 21:00, then 08:00 the next day
        ("d002-send_sms", "31 09:00"),  # not at 08:00: the email was that day's contact, so the next day's hour
    ]
