"""What the pages show, shaped from statuses, reports and forms: pure functions and the models the templates read.

No request, no I/O: the pages (`api.dashboard.pages`) fetch, these shape, the templates draw.
"""

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from babel.numbers import format_currency
from pydantic import ValidationError

from activities.rendering import STAFF_LOCALE
from domain.aging import AgingReport
from domain.locales import babel_locale
from domain.status import AccountStatus

T = TypeVar("T")


def money(amount: Decimal | float | int, currency: str) -> str:
    """Amounts as a supervisor reads them (Babel, the staff locale). A multi-currency row's key ("CNY,USD") is
    not a currency: shown plainly."""
    if len(currency) != 3:
        return f"{Decimal(str(amount)):,} {currency}".strip()
    return format_currency(Decimal(str(amount)), currency, locale=babel_locale(STAFF_LOCALE))


def when(at: datetime | None, zone: str | None = None) -> str:
    """UTC, and the debtor's local time when their timezone is known."""
    if at is None:
        return "-"
    utc = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if not zone:
        return utc
    return f"{at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone} ({utc})"


def local(at: datetime | None, zone: str | None = None) -> str:
    """The debtor's wall-clock time, short (a table's cell): `Fri 2026-05-01 14:00 Asia/Shanghai`; UTC without a
    zone."""
    if at is None:
        return "-"
    return f"{at.astimezone(ZoneInfo(zone or 'UTC')):%a %Y-%m-%d %H:%M} {zone or 'UTC'}"


def score(priority: float | None) -> str:
    """A task's priority as a person compares them: a whole number with thousands separators."""
    return "-" if priority is None else f"{priority:,.0f}"


@dataclass(frozen=True)
class Bar:
    """One bar of an aging chart, laid out in SVG units."""

    bucket: str
    count: int
    amount: Decimal
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class AgingChart:
    """One currency's aging as bars: heights in proportion to that currency's largest bucket."""

    currency: str
    bars: list[Bar]

    PLOT, BAR, GAP, TOP = 140, 100, 20, 34  # plot height, bar width, gap, room above for the amounts

    @classmethod
    def of(cls, report: AgingReport) -> list["AgingChart"]:
        return [cls._one(report, currency) for currency in report.buckets]

    @classmethod
    def _one(cls, report: AgingReport, currency: str) -> "AgingChart":
        tallies = [report.buckets[currency][name] for name in report.bucket_names]
        largest = max(t.amount for t in tallies) or Decimal(1)
        bars = []
        for index, (name, tally) in enumerate(zip(report.bucket_names, tallies, strict=True)):
            height = max(int(cls.PLOT * tally.amount / largest), 1 if tally.amount > 0 else 0)
            x = cls.GAP + index * (cls.BAR + cls.GAP)
            bars.append(Bar(name, tally.count, tally.amount, x, cls.TOP + cls.PLOT - height, height))
        return cls(currency, bars)

    @property
    def baseline(self) -> int:
        return self.TOP + self.PLOT

    @property
    def width(self) -> int:
        return self.GAP + len(self.bars) * (self.BAR + self.GAP)

    @property
    def height(self) -> int:
        return self.baseline + 44  # two lines of labels under the bars


@dataclass(frozen=True)
class OpenDispute:
    account_id: str
    dispute_id: str
    about: str
    reason: str
    opened_by: str
    opened_at: datetime


def open_disputes(found: Iterable[AccountStatus]) -> list[OpenDispute]:
    """The open disputes among these statuses, each account once."""
    accounts = {status.account_id: status for status in found}
    return [
        OpenDispute(
            s.account_id, d.dispute_id, ", ".join(d.invoice_ids) or "whole balance", d.reason, d.opened_by, d.opened_at
        )
        for s in accounts.values()
        for d in s.disputes
        if d.state == "open"
    ]


def number(params: dict[str, str], name: str, kind: Callable[[str], T]) -> T | None:
    """A filter's number, when the form gives one; ValueError with the reason when it is not a number."""
    if name not in params:
        return None
    try:
        return kind(params[name])
    except (ArithmeticError, ValueError):  # Decimal's InvalidOperation is an ArithmeticError
        raise ValueError(f"{name} is not a number: {params[name][:40]!r}") from None


def localized(form: dict[str, str]) -> dict[str, str]:
    """A datetime-local field (`until`) carries no zone: it is read in the zone the form names, the debtor's."""
    if "until" not in form:
        return form
    try:
        at = datetime.fromisoformat(form["until"])
    except ValueError:
        return form  # the model's validation explains it
    if at.tzinfo is not None:
        return form
    return form | {"until": at.replace(tzinfo=zone_named(form.get("timezone", "UTC"))).isoformat()}


def local_instant(value: str, zone: str, name: str) -> str:
    """A datetime-local field's value (no zone) read in `zone`, as an ISO instant; ValueError naming the field."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: not a date and time: {value[:40]!r}") from None
    return (at if at.tzinfo is not None else at.replace(tzinfo=zone_named(zone))).isoformat()


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone `name`; ValueError for any other text."""
    if name not in _zone_names():  # ZoneInfo("Asia") is a folder of the database: IsADirectoryError, once a 500
        raise ValueError(f"unknown timezone {name[:60]!r} (expected an IANA name such as Asia/Shanghai)")
    return ZoneInfo(name)


_zone_names = functools.cache(available_timezones)  # the tz database's names (it reads the folders once)


def explain(error: ValidationError) -> str:
    """A command model's refusal as one line a person reads."""
    return explain_errors(error.errors(include_url=False))


def explain_errors(errors: Sequence[Any]) -> str:
    """Pydantic's error entries (a ValidationError's, a RequestValidationError's) as one line."""
    return "; ".join(f"{'.'.join(map(str, e.get('loc', ())))}: {e.get('msg', e)}" for e in errors)
