"""The collection agencies a creditor places accounts with (seed 001: with an agency at 31 to 90 days past due;
seed 003: past 180 days). One TOML file per agency in `agencies/` beside the policies: a policy holds them when
loaded, as it holds the court fees, so an account's placement terms travel with its policy. An agency takes some
segments and currencies from some age on, for a commission on what it collects that depends on the account's age
(and optionally its balance) at placement; it owes a first contact report within days of placement, and the account
is recalled when nothing comes of it or it has been out too long.

Pure: profiles, the rules of a placement and its record; the workflow decides when to ask them."""

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from domain.bounds import MAX_LIST, AmountDigits, Instant, Note, Rate, Reference
from domain.events import Identifier, currency_code
from domain.money import percent, to_minor
from domain.profile_files import Profile, Registered, load_profiles

FOLDER = "agencies"  # beside the creditor profiles
MAX_RATE = Decimal("0.5")  # half of what is collected: beyond it, more goes to the agency than to the creditor
Money = Annotated[Decimal, AmountDigits]


class CommissionRate(Profile):
    """`rate` of what is collected on an account placed between `min_days_past_due` and `max_days_past_due` days
    past due (both inclusive; no maximum: no limit) and, optionally, with a balance from `min_amount` (inclusive) up to
    `max_amount` (exclusive, so that one band's maximum is the next one's minimum)."""

    min_days_past_due: int = Field(default=0, ge=0, le=36500)
    max_days_past_due: int | None = Field(default=None, ge=0, le=36500)
    min_amount: Money | None = Field(default=None, ge=0)
    max_amount: Money | None = Field(default=None, gt=0)
    rate: Rate = Field(gt=0, le=MAX_RATE, description="a fraction of what is collected: 0.15 = 15%")

    @model_validator(mode="after")
    def _ranges_not_empty(self) -> "CommissionRate":
        if self.max_days_past_due is not None and self.max_days_past_due < self.min_days_past_due:
            raise ValueError(f"max_days_past_due {self.max_days_past_due} is below min_days_past_due "
                             f"{self.min_days_past_due}")  # fmt: skip
        if self.min_amount is not None and self.max_amount is not None and self.max_amount <= self.min_amount:
            raise ValueError(f"max_amount {self.max_amount} is not above min_amount {self.min_amount}")
        return self

    def applies(self, days_past_due: int, amount: Decimal) -> bool:
        return (
            self.min_days_past_due <= days_past_due
            and (self.max_days_past_due is None or days_past_due <= self.max_days_past_due)
            and (self.min_amount is None or self.min_amount <= amount)
            and (self.max_amount is None or amount < self.max_amount)
        )

    def overlaps(self, other: "CommissionRate") -> bool:
        """Whether some (days, amount) has both rates."""
        days = (other.max_days_past_due is None or self.min_days_past_due <= other.max_days_past_due) and (
            self.max_days_past_due is None or other.min_days_past_due <= self.max_days_past_due
        )
        lows = [low for low in (self.min_amount, other.min_amount) if low is not None]
        highs = [high for high in (self.max_amount, other.max_amount) if high is not None]
        return days and (not lows or not highs or max(lows) < min(highs))

    def describe(self) -> str:
        """'31-90 days, 15%', '181+ days from 10000 below 50000, 25%'."""
        days = (f"{self.min_days_past_due}+" if self.max_days_past_due is None
                else f"{self.min_days_past_due}-{self.max_days_past_due}")  # fmt: skip
        amounts = "".join(
            f" {word} {value}" for word, value in (("from", self.min_amount), ("below", self.max_amount)) if value
        )
        return f"{days} days{amounts}, {percent(self.rate)}"


class Agency(Registered):
    email: EmailStr
    phone: Reference
    currencies: list[str] = Field(min_length=1, max_length=MAX_LIST)
    segments: list[Identifier] = Field(default=[], max_length=MAX_LIST, description="those it takes; none: any")
    min_days_past_due: int = Field(default=0, ge=0, le=36500, description="the youngest debt it takes")
    rates: list[CommissionRate] = Field(min_length=1, max_length=MAX_LIST)
    report_within_days: int = Field(default=7, ge=1, le=365, description="first contact reported within, or SLA")
    recall_after_days: int = Field(default=60, ge=1, le=3650, description="no payment or promise that long: recall")
    max_placement_days: int = Field(default=180, ge=1, le=3650, description="recalled after that long in any case")

    @field_validator("currencies")
    @classmethod
    def _known_currencies(cls, currencies: list[str]) -> list[str]:
        return [currency_code(currency) for currency in currencies]

    @model_validator(mode="after")
    def _one_rate_at_most(self) -> "Agency":
        """Two rates for the same account would make its commission a matter of file order."""
        for i, rate in enumerate(self.rates):
            for j in range(i + 1, len(self.rates)):
                if rate.overlaps(self.rates[j]):
                    raise ValueError(f"rates {i + 1} ({rate.describe()}) and {j + 1} ({self.rates[j].describe()}) "
                                     f"overlap: an account could have both")  # fmt: skip
        return self

    def rate_for(self, days_past_due: int, amount: Decimal) -> CommissionRate | None:
        """The rate of an account placed `days_past_due` days past due owing `amount`; None: the agency has none."""
        return next((rate for rate in self.rates if rate.applies(days_past_due, amount)), None)

    def takes(self, segment: str, currency: str, days_past_due: int, amount: Decimal) -> str | None:
        """None when the agency takes such an account, else why not (for the operator who tried to place it)."""
        if currency not in self.currencies:
            return f"agency {self.id} does not take debts in {currency} (only {', '.join(self.currencies)})"
        if self.segments and segment not in self.segments:
            return f"agency {self.id} does not take segment {segment} (only {', '.join(self.segments)})"
        if days_past_due < self.min_days_past_due:
            return f"agency {self.id} does not take debts younger than {self.min_days_past_due} days past due"
        if self.rate_for(days_past_due, amount) is None:
            return f"agency {self.id} has no commission rate for {amount} {currency} at {days_past_due} days past due"
        return None


def load_agencies(folder: Path) -> dict[str, Agency]:
    """Every agency in `folder/agencies/` (none: no folder), by id; its id defaults to the file's name."""
    return load_profiles(folder / FOLDER, Agency, "agency")


def commission(rate: Decimal, collected: Decimal, currency: str) -> Decimal:
    """The agency's share of `collected`, rounded half-up to the currency's minor unit (what is charged)."""
    return to_minor(collected * rate, currency)


class Placement(BaseModel):
    """An account's placement with an agency, as its state records it: the terms fixed at placement, then what the
    agency reported. Frozen: the `with_*` methods give the next record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    placement_id: Identifier
    agency_id: Identifier
    placed_at: Instant
    days_past_due: int = Field(ge=0, description="at placement: it fixed the rate")
    placed_amount: Money = Field(gt=0)
    currency: str
    rate: Rate = Field(gt=0, le=MAX_RATE)
    recalled_at: Instant | None = None
    recall_reason: Note | None = None
    last_result_at: Instant | None = Field(default=None, description="the last payment or promise reported")
    first_report_at: Instant | None = Field(default=None, description="the agency's first report (its SLA)")
    collected: Money = Decimal(0)
    commission: Money = Decimal(0)
    complaints: list[Note] = Field(default=[], max_length=MAX_LIST)

    _currency = field_validator("currency")(currency_code)

    def with_payment(self, amount: Decimal, at: datetime) -> "Placement":
        """A payment the agency brought in: its commission is rounded per payment, as the monthly statement is."""
        return self.model_copy(update={
            "collected": self.collected + amount,
            "commission": self.commission + commission(self.rate, amount, self.currency),
            "last_result_at": max(at, self.last_result_at) if self.last_result_at else at,
        })  # fmt: skip

    def with_promise(self, at: datetime) -> "Placement":
        """A promise to pay the agency obtained: it keeps the placement alive as a payment does."""
        return self.model_copy(update={"last_result_at": max(at, self.last_result_at) if self.last_result_at else at})

    def with_report(self, at: datetime) -> "Placement":
        return self if self.first_report_at else self.model_copy(update={"first_report_at": at})

    def with_complaint(self, complaint: str) -> "Placement":
        return self.model_copy(update={"complaints": [*self.complaints, complaint]})

    def recalled(self, at: datetime, reason: str) -> "Placement":
        return self.model_copy(update={"recalled_at": at, "recall_reason": reason})


def active(placements: list[Placement]) -> Placement | None:
    """The placement in force: the latest, unless recalled."""
    return placements[-1] if placements and placements[-1].recalled_at is None else None


def recall_at(placement: Placement, agency: Agency) -> datetime:
    """When the placement is recalled unless a payment or promise comes first."""
    since = placement.last_result_at or placement.placed_at
    return min(placement.placed_at + timedelta(days=agency.max_placement_days),
               since + timedelta(days=agency.recall_after_days))  # fmt: skip


def _check_agency(placement: Placement, agency: Agency) -> None:
    if placement.agency_id != agency.id:
        raise ValueError(f"placement {placement.placement_id} is with agency {placement.agency_id}, not {agency.id}")


def recall_due(placement: Placement, agency: Agency, now: datetime) -> str | None:
    """Why the placement should be recalled now (out for the agency's maximum; or no payment nor promise for
    `recall_after_days` since placement or the last one); None while it may stay, or once recalled."""
    _check_agency(placement, agency)
    if placement.recalled_at is not None:
        return None
    if now >= placement.placed_at + timedelta(days=agency.max_placement_days):
        return f"placed {agency.max_placement_days} days (the agency's maximum)"
    since = placement.last_result_at or placement.placed_at
    if now >= since + timedelta(days=agency.recall_after_days):
        return f"no payment or promise reported in {agency.recall_after_days} days"
    return None


def sla_breached(placement: Placement, agency: Agency, now: datetime, first_report_at: datetime | None) -> str | None:
    """Why the agency is in breach of its first-contact SLA: no contact reported `report_within_days` after
    placement. Meant to be asked at the deadline: a report arriving later does not undo a breach recorded then."""
    _check_agency(placement, agency)
    if first_report_at is not None or placement.recalled_at is not None:
        return None
    if now > placement.placed_at + timedelta(days=agency.report_within_days):
        return f"no contact reported within {agency.report_within_days} days of placement"
    return None
