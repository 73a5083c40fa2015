"""Bounds on everything the system accepts, so that no input can wedge an account.

A workflow carries what it accepted for months and does arithmetic on it (a limitation date three years on, the
debtor's local day in a +14:00 zone, interest over years) and serialises it into every task. So every field of
every event and command is bounded here, at the edge, by types the models share:

- instants and days lie between 1970-01-01 and 2100-12-31 (UTC): years of date arithmetic stay representable;
- what happened (an event's `occurred_at`, a payment's `received_at`, a contact's `at`) is at most a day ahead of
  the receiver's clock (`check_not_future`: the edge checks it with its clock, the workflow with `workflow.now()`);
- a due date is at most 20 years before its event: the longest limitation period of the seeds' jurisdiction (PRC
  Civil Code art. 188: no protection after 20 years), so older debts are not collectible at all;
- amounts have at most 18 integer digits and 6 decimals (then the currency's minor unit, checked per model), rates
  at most 10 decimals (0.0000000001 a day is already nothing);
- texts have a maximum length and no control characters (a NUL breaks PostgreSQL, an escape sequence an operator's
  terminal); notes may hold newlines and tabs;
- lists have a maximum length;
- an account's state holds at most STATE_BUDGET bytes: beyond it, new invoices, payments and commands are refused
  (and said so in its history), so that the state, its status and every activity input stay well under Temporal's
  2 MB payload limit however long the account lives; repeated refusals and duplicate deliveries are itemised
  MAX_LISTED_REPEATS times, then only counted.
"""

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

import phonenumbers
from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints, ValidationInfo

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 12, 31, 23, 59, 59, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # clocks disagree, and a payment may be booked in a timezone ahead of ours
OLDEST_DUE_YEARS = 20

MAX_SHORT_TEXT = 500  # a reason, a name, who gave a command
MAX_NOTE = 4000  # a note on a resolution, a bankruptcy or a legal outcome
MAX_REFERENCE = 100  # a contract or case reference
MAX_LIST = 100  # invoices named in a dispute, installments in a plan
STATE_BUDGET = 1_000_000  # bytes of an account's state as JSON: half the payload limit (50 invoices, 200 payments and
# 100 commands with every text at its maximum take 0.56 MB; a typical account 20 KB)
MAX_LISTED_REPEATS = 20

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def _without(pattern: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        found = pattern.search(value)
        if found:
            raise ValueError(f"{what} {ord(found.group()):#06x} at position {found.start()} is not allowed")
        return value

    return AfterValidator(check)


_LINE = _without(_CONTROL, "control character")
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SHORT_TEXT), _LINE]
Reference = Annotated[str, StringConstraints(max_length=MAX_REFERENCE), _LINE]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200), _LINE]
AddressLine = Annotated[str, StringConstraints(min_length=1, max_length=100), _LINE]
Note = Annotated[str, StringConstraints(max_length=MAX_NOTE), _without(_CONTROL_BUT_LINES, "control character")]


def _instant_in_range(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"{value.isoformat()} is outside {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d} (UTC)")
    return value


def _day_in_range(value: date) -> date:
    if not EARLIEST.date() <= value <= LATEST.date():
        raise ValueError(f"{value} is outside {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_instant_in_range)]
Day = Annotated[date, AfterValidator(_day_in_range)]

# Digits bound the size of a Decimal whatever its notation: "1e-999990" has a million decimals and is refused.
AmountDigits = Field(max_digits=24, decimal_places=6)
Rate = Annotated[Decimal, Field(max_digits=12, decimal_places=10)]


# The validation context of input arriving from outside (an event, a command): checks that stored data, validated
# again when a workflow loads it, is not held to, so that an account accepted under older rules always loads.
EDGE = {"edge": True}


def _real_phone(value: str, info: ValidationInfo) -> str:
    if info.context and info.context.get("edge"):
        try:
            valid = phonenumbers.is_valid_number(phonenumbers.parse(value))
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            raise ValueError(f"{value[:20]} is not a valid phone number (no such country code, length or range)")
    return value


# E.164; arriving from outside, also a number `phonenumbers` knows to exist (a real country code, length and range).
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$"), AfterValidator(_real_phone)]


def phone_country(phone: str | None) -> str | None:
    """The country a phone number belongs to (ISO 3166), if it names one."""
    if phone is None:
        return None
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(phone))
    except phonenumbers.NumberParseException:
        return None
    return region if region and region not in ("ZZ", "001") else None


def check_not_future(value: datetime, now: datetime, name: str) -> None:
    """Raise ValueError when `value` (something that already happened) is more than a day after `now`."""
    if value > now + FUTURE_SLACK:
        raise ValueError(f"{name} {value.isoformat()} is more than a day ahead of now ({now:%Y-%m-%d %H:%M} UTC)")


def check_happened(message: object, now: datetime) -> None:
    """`check_not_future` on each field a message names in its `HAPPENED` (what happened, and when)."""
    for name in getattr(message, "HAPPENED", ()):
        check_not_future(getattr(message, name), now, name)


def oldest_due(occurred: date) -> date:
    """The oldest due date an event occurring on `occurred` may carry."""
    try:
        return occurred.replace(year=occurred.year - OLDEST_DUE_YEARS)
    except ValueError:  # 29 February
        return occurred.replace(year=occurred.year - OLDEST_DUE_YEARS, day=28)
