"""Properties of the ladder under rules 4, whatever the entry day, the timezone and the jumps: no debtor contact
outside its channel's window (email and letters included), at most the policy's debtor contacts a day, and a
required step always before the steps that come after it."""

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.account import AccountState
from domain.contact_rules import Window
from domain.contact_window import country_of, permitted
from domain.kinds import DEBTOR_CONTACT, KINDS, WINDOW_OF_ACTION
from domain.pacing import holiday_country
from domain.policy_book import PolicyBook
from tests.domain.simulate import Run, days, open_account, simulate

BOOK = PolicyBook()
DUE = date(2026, 3, 10)
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Sydney", "Pacific/Kiritimati"]
SEGMENTS = ["standard", "commercial", "important", "high_risk", "us_consumer", "trade"]


def window_of(state: AccountState, key: str) -> tuple[Window, ZoneInfo, str | None] | None:
    step = next(s for s in state.policy.steps if s.key == key)
    assert state.debtor is not None
    channel = WINDOW_OF_ACTION.get(step.action)
    if channel is not None:
        return state.policy.contact.windows[channel], ZoneInfo(state.debtor.timezone), holiday_country(state)
    if KINDS[step.action].output == "letter":
        hours = state.policy.contact.office_hours
        zone = hours.timezone or state.debtor.timezone
        return hours, ZoneInfo(zone), country_of(hours.timezone) if hours.timezone else holiday_country(state)
    return None


def entered(segment: str, day: int, hour: int, timezone: str, jump: int | None) -> Run:
    """An account first seen `day` days past due at `hour` UTC; `jump` days after entry the ladder jumps to strict."""
    policy = BOOK.for_segment(segment)
    opened = datetime.combine(DUE + timedelta(days=day), time(hour), tzinfo=UTC)
    state = open_account(policy, opened, due_date=DUE, timezone=timezone, segment=segment)
    if jump is None:
        return simulate(state, opened, opened + days(200))

    def default(s: AccountState, now: datetime) -> None:  # as a defaulted plan does: on to the strict stage
        ladder = s.clock().days_past(DUE, now) - s.shift_days
        s.shift_days = min(s.shift_days, s.shift_days - (s.policy.stage_start("strict") - ladder))

    return simulate(state, opened, opened + days(200), {opened + days(jump): default})


@settings(max_examples=120, deadline=None)
@given(
    segment=st.sampled_from(SEGMENTS),
    day=st.integers(min_value=1, max_value=400),
    hour=st.integers(min_value=0, max_value=23),
    timezone=st.sampled_from(ZONES),
    jump=st.none() | st.integers(min_value=0, max_value=60),
)
def test_the_ladder_keeps_windows_spreads_contact_and_sends_required_steps_first(
    segment: str, day: int, hour: int, timezone: str, jump: int | None
) -> None:
    run = entered(segment, day, hour, timezone, jump)
    state, zone = run.state, ZoneInfo(timezone)
    steps = {s.key: s for s in state.policy.steps}
    contacts = [(key, at) for key, _, at in run.acted if key in steps and steps[key].action in DEBTOR_CONTACT]
    for key, at in contacts:  # never outside its channel's window: SMS, email, calls, visits and letters alike
        window = window_of(state, key)
        assert window is None or permitted(at, *window), f"{key} at {at.astimezone(zone)}"
    per_day = Counter(at.astimezone(zone).date() for _, at in contacts)
    assert max(per_day.values(), default=0) <= state.policy.contact.ladder_contacts_per_day
    done = {key: at for key, _, at in run.acted}
    for step in state.policy.steps:  # a step that comes after another never goes first
        if step.key in done and step.after and state.handled.get(step.after) == "done":
            assert done[step.after] < done[step.key], f"{step.key} before {step.after}"
        if step.key in done and step.required:
            later = [s.key for s in state.policy.steps[state.policy.steps.index(step) + 1 :] if s.key in done]
            assert all(done[k] >= done[step.key] for k in later if steps[k].action in DEBTOR_CONTACT), step.key
