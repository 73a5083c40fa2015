"""Frequency caps: per day, minimum gap, rolling windows and quiet periods after a conversation."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.arrangements import ContactMade
from domain.caps import caps_allow
from domain.commands import ContactOutcome
from domain.planner import Act, Defer, plan
from domain.policy_book import PolicyBook
from domain.rerouting import apply_contact_outcome
from tests.domain.simulate import open_account

BOOK = PolicyBook()
NEW_YORK = ZoneInfo("America/New_York")
MONDAY = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # 11:00 in New York, a working day


def account(segment: str = "standard"):
    return open_account(BOOK.for_segment(segment), MONDAY, timezone="America/New_York", locale="en",
                        segment=segment)  # fmt: skip


def calls(state, at: datetime, n: int, reached: bool = False) -> None:
    for i in range(n):
        outcome = ContactOutcome(command_id=f"call-{at.timestamp():.0f}-{i}", by="collector", channel="phone",
                                 result="reached" if reached else "no_answer", at=at)  # fmt: skip
        apply_contact_outcome(state, outcome, at)


def test_seed_defaults_ten_call_attempts_a_day_then_tomorrow() -> None:
    state = account()
    calls(state, MONDAY - timedelta(hours=1), 9)
    assert caps_allow(state, "call", MONDAY, NEW_YORK) is None
    calls(state, MONDAY - timedelta(minutes=5), 1)
    at, why = caps_allow(state, "call", MONDAY, NEW_YORK)
    assert at == datetime(2026, 3, 10, 0, 0, tzinfo=NEW_YORK) and why == "deferred: call cap, at most 10 a day"


def test_seed_defaults_sms_twelve_hours_apart() -> None:
    state = account()
    state.contacts.append(ContactMade(at=MONDAY - timedelta(hours=2), channel="sms"))
    at, why = caps_allow(state, "sms", MONDAY, NEW_YORK)
    assert at == MONDAY + timedelta(hours=10) and "at least 12h between" in why


def test_us_regf_seven_calls_in_seven_days_and_quiet_after_a_conversation() -> None:
    state = account("us_consumer")
    for day in range(7):
        calls(state, MONDAY - timedelta(days=6 - day, hours=2), 1)
    at, why = caps_allow(state, "call", MONDAY, NEW_YORK)
    assert at == MONDAY - timedelta(days=6, hours=2) + timedelta(days=7) and "at most 7 in 7 days" in why
    spoke = account("us_consumer")
    calls(spoke, MONDAY - timedelta(days=1), 1, reached=True)
    at, why = caps_allow(spoke, "call", MONDAY, NEW_YORK)
    assert at == MONDAY + timedelta(days=6) and "none for 7 days after a conversation" in why
    assert caps_allow(account(), "call", MONDAY, NEW_YORK) is None  # the standard policy has no such rule


def test_a_capped_call_task_is_deferred_and_then_planned() -> None:
    state = account()
    state.handled.update({s.key: "done" for s in state.policy.steps if s.day < 35})
    due = datetime.combine(state.oldest_due_date() + timedelta(days=35), datetime.min.time(), tzinfo=NEW_YORK)
    now = due.replace(hour=11).astimezone(UTC)
    calls(state, now - timedelta(hours=1), 10)
    decision = plan(state, now)
    assert isinstance(decision, Defer) and decision.step.key == "d035-create_call_task"
    assert decision.until.astimezone(NEW_YORK).hour == 8 and "at most 10 a day" in decision.reason
    assert isinstance(plan(state, decision.until), Act)
