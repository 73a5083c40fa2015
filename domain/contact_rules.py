"""A policy's rules for reaching the debtor (the `[contact]` table): each channel's window, the creditor's office
hours for letters, the caps per channel, and how many debtor contacts the ladder makes a day."""

from datetime import time
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Frozen(BaseModel):
    """A part of a policy: immutable; an unknown key is refused (a misspelt key must not silently mean a default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Window(Frozen):
    """When one channel may reach the debtor, in the debtor's timezone. `None` hours: any time of day."""

    start: time | None = time(8, 0)
    end: time | None = time(21, 0)
    weekdays: list[int] = Field(default=[1, 2, 3, 4, 5, 6, 7], description="ISO weekdays allowed, 1 = Monday")
    holidays: bool = Field(default=False, description="contact allowed on public holidays")
    timezone: str | None = Field(default=None, description="whose hours: an IANA name; none: the debtor's")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            ZoneInfo(value)  # raises for an unknown name
        return value

    def describe(self) -> str:
        return "any time" if self.start is None or self.end is None else f"{self.start:%H:%M}-{self.end:%H:%M}"


def _office_hours() -> Window:
    """Seed 000: working days 9:00-20:00; letters are issued on business days, in office hours."""
    return Window(start=time(9, 0), end=time(18, 0), weekdays=[1, 2, 3, 4, 5])


def _default_windows() -> dict[str, Window]:
    return {"sms": Window(), "call": Window(), "visit": Window(), "email": Window()}


class Caps(Frozen):
    """How often one channel may reach the debtor. Counted over contacts made (and, for calls, the attempts
    collectors report)."""

    per_day: int | None = Field(default=None, description="at most this many in one local day")
    conversations_per_day: int | None = Field(default=None, description="at most this many reached in one day")
    min_gap_hours: float | None = Field(default=None, description="at least this long after the previous one")
    rolling_days: int | None = None
    rolling_max: int | None = Field(default=None, description="at most this many in any rolling_days")
    quiet_days_after_conversation: int | None = Field(default=None, description="none this long after one")


def _default_caps() -> dict[str, Caps]:
    """Seed 002's defaults: 10 call attempts and 5 conversations a day, 2 visits a day; SMS at least 12 hours apart."""
    return {"call": Caps(per_day=10, conversations_per_day=5), "visit": Caps(per_day=2),
            "sms": Caps(min_gap_hours=12)}  # fmt: skip


class ContactRules(Frozen):
    max_consecutive_failures: int = 3
    caps: dict[str, Caps] = Field(default_factory=_default_caps, description="sms, email, call, visit")
    windows: dict[str, Window] = Field(
        default_factory=_default_windows, description="per channel: sms, email, call, visit"
    )
    office_hours: Window = Field(default_factory=_office_hours, description="when letters are issued (rules 4)")
    ladder_contacts_per_day: int = Field(
        default=1, ge=1, le=10, description="debtor contacts the ladder makes in one day, catching up or not (rules 4)"
    )
