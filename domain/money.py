"""Money is Decimal with an ISO 4217 currency; amounts travel as strings."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Literal, NamedTuple

from babel.numbers import get_currency_precision, list_currencies
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.bounds import Name, Rate

# CLDR's list: every ISO 4217 code in use, plus some historic ones a billing system may still emit.
KNOWN_CURRENCIES = frozenset(list_currencies())


def minor_units(currency: str) -> int:
    """Digits after the decimal point for the currency (CNY 2, JPY 0, KWD 3)."""
    return get_currency_precision(currency)


def check_amount(amount: Decimal, currency: str) -> Decimal:
    """Raise ValueError unless amount is a positive, finite amount expressible in the currency."""
    if currency not in KNOWN_CURRENCIES:
        raise ValueError(f"unknown currency {currency!r} (expected an ISO 4217 code such as CNY, USD, EUR)")
    if not amount.is_finite():
        raise ValueError("amount must be a finite number")
    if amount <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # finite amounts have an int exponent
    if -exponent > minor_units(currency):
        raise ValueError(f"amount {amount} has more decimals than {currency} allows ({minor_units(currency)})")
    return amount


def to_minor(amount: Decimal, currency: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round to the currency's minor unit: half-up for what is charged, down for caps."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=rounding)


class InterestTerms(BaseModel):
    """A contractual late-interest rate: a daily rate, or an annual reference rate times a multiple."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    daily_rate: Rate | None = Field(default=None, ge=0, le=Decimal("0.01"), description="0.0005 = 0.05% a day")
    reference_rate: Rate | None = Field(default=None, ge=0, le=1, description="annual, 0.03 = 3% (e.g. LPR)")
    reference_name: Annotated[Name, StringConstraints(max_length=40)] = "reference rate"
    multiple: Rate = Field(default=Decimal(1), ge=0, le=10)

    @model_validator(mode="after")
    def _one_rate(self) -> "InterestTerms":
        if (self.daily_rate is None) == (self.reference_rate is None):
            raise ValueError("give either daily_rate or reference_rate (with a multiple), not both or neither")
        return self

    def daily(self, days_in_year: int) -> Decimal:
        if self.daily_rate is not None:
            return self.daily_rate
        assert self.reference_rate is not None
        return self.reference_rate * self.multiple / days_in_year

    def describe(self) -> str:
        if self.daily_rate is not None:
            return f"{percent(self.daily_rate)} a day"
        assert self.reference_rate is not None
        return f"{self.reference_name} {percent(self.reference_rate)} × {self.multiple} a year"


def percent(rate: Decimal) -> str:
    """0.0005 -> '0.05%'."""
    return f"{(rate * 100).normalize():f}%"


Part = Literal["costs", "interest", "principal"]


class Debt(NamedTuple):
    """One thing a payment can pay: a fee (`costs`), an invoice's interest or its principal."""

    part: Part
    target: str  # charge id or invoice id
    owed: Decimal


class Allocation(BaseModel):
    part: Part
    target: str
    amount: Decimal


def allocate(amount: Decimal, debts: list[Debt], order: list[Part]) -> tuple[list[Allocation], Decimal]:
    """Pay `debts` part by part in `order` (within a part, in the order given: oldest first). Returns the
    allocations and what is left over. The allocations plus the rest always make up the amount."""
    allocations: list[Allocation] = []
    left = amount
    for part in order:
        for debt in debts:
            if debt.part == part and debt.owed > 0 and left > 0:
                paid = min(left, debt.owed)
                allocations.append(Allocation(part=part, target=debt.target, amount=paid))
                left -= paid
    return allocations, left
