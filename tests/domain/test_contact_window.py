"""Contact windows: hours and weekdays in the debtor's timezone, public holidays, daylight saving."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.contact_rules import Window
from domain.contact_window import country_of, deferral_reason, is_holiday, next_permitted, permitted

SHANGHAI, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York")
DAYTIME = Window()  # 08:00-21:00, every day, not on public holidays


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)


def test_inside_the_window_is_now_outside_is_the_next_opening() -> None:
    at = local(SHANGHAI, 2026, 3, 11, 15, 0)
    assert next_permitted(at, DAYTIME, SHANGHAI, "CN") == at
    late = local(SHANGHAI, 2026, 3, 11, 22, 40)
    assert next_permitted(late, DAYTIME, SHANGHAI, "CN") == local(SHANGHAI, 2026, 3, 12, 8, 0)
    assert deferral_reason(late, DAYTIME, SHANGHAI, "CN") == "deferred: 22:40 local is outside 08:00-21:00"


def test_public_holidays_of_the_debtors_country_are_skipped() -> None:
    national_day = local(SHANGHAI, 2026, 10, 1, 10, 0)
    assert is_holiday(national_day.astimezone(SHANGHAI).date(), "CN")
    opens = next_permitted(national_day, DAYTIME, SHANGHAI, "CN").astimezone(SHANGHAI)
    assert opens.time() == time(8, 0) and not is_holiday(opens.date(), "CN") and opens.date().month == 10
    assert "public holiday in CN" in deferral_reason(national_day, DAYTIME, SHANGHAI, "CN")
    independence = local(NEW_YORK, 2026, 7, 4, 12, 0)
    assert next_permitted(independence, DAYTIME, NEW_YORK, "US") == local(NEW_YORK, 2026, 7, 5, 8, 0)


def test_weekdays_and_the_country_from_the_timezone() -> None:
    weekdays_only = Window(weekdays=[1, 2, 3, 4, 5])
    saturday = local(NEW_YORK, 2026, 3, 14, 10, 0)
    assert next_permitted(saturday, weekdays_only, NEW_YORK, "US") == local(NEW_YORK, 2026, 3, 16, 8, 0)
    assert deferral_reason(saturday, weekdays_only, NEW_YORK, "US") == "deferred: Saturday is not a contact day"
    assert (country_of("Asia/Shanghai"), country_of("America/New_York"), country_of("Asia/Shanghai", "HK")) == (
        "CN", "US", "HK"
    )  # fmt: skip


def test_a_window_without_hours_and_daylight_saving_is_respected() -> None:
    anytime = Window(start=None, end=None, holidays=True)
    night = local(NEW_YORK, 2026, 3, 11, 3, 0)
    assert next_permitted(night, anytime, NEW_YORK, "US") == night
    # Spring forward (2026-03-08 02:00 -> 03:00 in New York): an opening at 02:30 does not exist that day.
    gap = Window(start=time(2, 30), end=time(21, 0))
    before = local(NEW_YORK, 2026, 3, 8, 1, 0)
    opens = next_permitted(before, gap, NEW_YORK, None)
    assert opens.astimezone(NEW_YORK).date().day == 8 and permitted(opens, gap, NEW_YORK, None)
    # Fall back: 08:00 on 2026-11-01 is 13:00 UTC (EST), not 12:00 (EDT).
    assert next_permitted(local(NEW_YORK, 2026, 11, 1, 5, 0), DAYTIME, NEW_YORK, None) == datetime(
        2026, 11, 1, 13, 0, tzinfo=UTC
    )


zones = st.sampled_from(["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"])


@settings(max_examples=300, deadline=None)
@given(
    zone=zones,
    start=st.integers(min_value=0, max_value=22),
    length=st.integers(min_value=1, max_value=23),
    weekdays=st.sets(st.integers(min_value=1, max_value=7), min_size=1),
    holidays_allowed=st.booleans(),
    at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
)
def test_the_next_permitted_moment_is_permitted_and_never_early(
    zone: str, start: int, length: int, weekdays: set[int], holidays_allowed: bool, at: datetime
) -> None:
    end = min(start + length, 23)
    window = Window(start=time(start), end=time(end, 59), weekdays=sorted(weekdays), holidays=holidays_allowed)
    tz = ZoneInfo(zone)
    opens = next_permitted(at, window, tz, country_of(zone))
    assert opens >= at and permitted(opens, window, tz, country_of(zone))
    assert opens - at < timedelta(days=30)


def test_email_keeps_the_hours_too() -> None:
    """Seed 002: no collection action outside 08:00-21:00, email included (it went at 23:30 local before)."""
    from domain.planner import Act, Defer, plan
    from domain.policy_book import PolicyBook
    from tests.domain.simulate import open_account

    friday_night = local(SHANGHAI, 2026, 3, 13, 23, 30)  # commercial: an email on day 1
    state = open_account(PolicyBook().for_segment("commercial"), friday_night, due_date=date(2026, 3, 12))
    decision = plan(state, friday_night)
    assert isinstance(decision, Defer) and decision.step.key == "d001-send_email"
    assert decision.until == local(SHANGHAI, 2026, 3, 14, 8, 0)
    assert decision.reason == "deferred: 23:30 local is outside 08:00-21:00"
    assert isinstance(plan(state, decision.until), Act)
