"""When the debtor may be contacted: allowed hours and weekdays in the debtor's own timezone, never on a
public holiday of the debtor's country (the `holidays` package). Pure and deterministic."""

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import tzdata

from domain.contact_rules import Window


def _zone_countries() -> dict[str, str]:
    """IANA timezone -> ISO 3166 country, from tzdata's zone.tab (read once, at import: no I/O later)."""
    table = Path(tzdata.__file__).parent / "zoneinfo" / "zone.tab"
    rows = (line.split("\t") for line in table.read_text().splitlines() if line and not line.startswith("#"))
    return {row[2]: row[0] for row in rows if len(row) >= 3}


COUNTRY_OF_ZONE = _zone_countries()


def country_of(timezone: str, country: str | None = None) -> str | None:
    return country or COUNTRY_OF_ZONE.get(timezone)


# The holiday calendars read the locale machinery, which the workflow sandbox forbids. A country's holidays
# for a year are fixed data, so the workflow module lifts the sandbox for exactly this lookup (it sets this
# to `workflow.unsafe.sandbox_unrestricted`); elsewhere it does nothing.
unrestricted: Callable[[], AbstractContextManager[None]] = nullcontext


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    try:
        with unrestricted():
            return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:
        return frozenset()  # a country the calendar does not know: no holidays rather than no contact


def is_holiday(day: date, country: str | None) -> bool:
    return country is not None and day in _holidays(country, day.year)


def permitted(at: datetime, window: Window, zone: ZoneInfo, country: str | None) -> bool:
    local = at.astimezone(zone)
    if local.isoweekday() not in window.weekdays:
        return False
    if not window.holidays and is_holiday(local.date(), country):
        return False
    if window.start is None or window.end is None:
        return True
    return window.start <= local.time() < window.end


def next_permitted(at: datetime, window: Window, zone: ZoneInfo, country: str | None) -> datetime:
    """`at` itself if contact is allowed then, else the first allowed moment after it (a day's opening)."""
    if permitted(at, window, zone, country):
        return at
    local = at.astimezone(zone)
    day = local.date()
    for _ in range(400):
        opening = _opening(day, window, zone)
        if opening > at and permitted(opening, window, zone, country):
            return opening
        day += timedelta(days=1)
    raise ValueError(f"no permitted contact moment within 400 days of {at.isoformat()} (check the policy)")


def _opening(day: date, window: Window, zone: ZoneInfo) -> datetime:
    """The day's first allowed instant. A start inside a DST gap (02:30 on a spring-forward day) resolves to the
    instant just after the gap: the wall-clock time is built in the zone and then made an instant."""
    start = window.start or time(0, 0)
    return datetime.combine(day, start, tzinfo=zone).astimezone(UTC)


def deferral_reason(at: datetime, window: Window, zone: ZoneInfo, country: str | None) -> str:
    local = at.astimezone(zone)
    if local.isoweekday() not in window.weekdays:
        return f"deferred: {local:%A} is not a contact day"
    if not window.holidays and is_holiday(local.date(), country):
        return f"deferred: {local.date()} is a public holiday in {country}"
    return f"deferred: {local:%H:%M} local is outside {window.describe()}"
