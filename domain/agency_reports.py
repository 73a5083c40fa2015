"""What the creditor and its agencies see of placements: an agency's monthly commission statement (what it brought
in, payment by payment, and its commission on each) and the agencies' performance by the accounts' age at placement.

Pure: payments and placements in, reports out (pydantic models, so an API returns them as JSON). Amounts stay Decimal
from end to end; currencies are never added together."""

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.agencies import Money, Placement, commission
from domain.aging import BUCKET_NAMES, bucket_of
from domain.bounds import Instant, Rate
from domain.events import Identifier, currency_code

RECOVERY_PLACES = Decimal("0.0001")


class PlacedPayment(BaseModel):
    """A payment on an account while placed with an agency, and the agency's commission on it (rounded per payment)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agency_id: Identifier
    account_id: Identifier
    placement_id: Identifier
    paid_at: Instant
    amount: Money
    currency: str
    rate: Rate
    commission: Money

    _currency = field_validator("currency")(currency_code)


def placed_payment(account_id: str, placement: Placement, amount: Decimal, paid_at: datetime) -> PlacedPayment:
    """The payment of `amount` on an account placed by `placement`, with the commission at the placement's rate."""
    return PlacedPayment(
        agency_id=placement.agency_id, account_id=account_id, placement_id=placement.placement_id, paid_at=paid_at,
        amount=amount, currency=placement.currency, rate=placement.rate,
        commission=commission(placement.rate, amount, placement.currency),
    )  # fmt: skip


class Totals(BaseModel):
    model_config = ConfigDict(frozen=True)

    payments: int = 0
    collected: Decimal = Decimal(0)
    commission: Decimal = Decimal(0)

    def plus(self, payment: PlacedPayment) -> "Totals":
        return Totals(payments=self.payments + 1, collected=self.collected + payment.amount,
                      commission=self.commission + payment.commission)  # fmt: skip


class Statement(BaseModel):
    """An agency's payments of a calendar month (UTC), oldest first, and `totals[currency]` (sorted by currency)."""

    model_config = ConfigDict(frozen=True)

    agency_id: str
    year: int
    month: int = Field(ge=1, le=12)
    lines: list[PlacedPayment]
    totals: dict[str, Totals]


def _month_of(at: datetime) -> tuple[int, int]:
    utc = at.astimezone(UTC)
    return utc.year, utc.month


def monthly_statement(agency_id: str, year: int, month: int, payments: Iterable[PlacedPayment]) -> Statement:
    """The statement of `agency_id` for `year`-`month`: its payments paid in that month in UTC (the other agencies'
    and months' are left out), sorted by when paid then account, with totals per currency."""
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 1 to 12")
    in_month = (p for p in payments if p.agency_id == agency_id and _month_of(p.paid_at) == (year, month))
    lines = sorted(in_month, key=lambda p: (p.paid_at, p.account_id))
    totals: dict[str, Totals] = {}
    for line in lines:
        totals[line.currency] = totals.get(line.currency, Totals()).plus(line)
    return Statement(agency_id=agency_id, year=year, month=month, lines=lines,
                     totals={currency: totals[currency] for currency in sorted(totals)})  # fmt: skip


class PerformanceRow(BaseModel):
    """An agency's placements of accounts in one age bucket at placement (domain.aging), in one currency."""

    model_config = ConfigDict(frozen=True)

    agency_id: str
    bucket: str
    currency: str
    placed: int = Field(description="placements")
    accounts: int = Field(description="distinct accounts among them")
    recalled: int
    placed_amount: Decimal
    recovered: Decimal
    commission: Decimal
    recovery_rate: Decimal = Field(description="recovered / placed_amount, to 4 places; 0 when nothing was placed")


def performance(placements: Iterable[tuple[str, Placement]]) -> list[PerformanceRow]:
    """Rows per agency, age bucket at placement and currency, from (account id, placement) pairs; sorted by agency,
    bucket (youngest first) and currency."""
    groups: dict[tuple[str, str, str], list[tuple[str, Placement]]] = {}
    for account_id, placement in placements:
        key = (placement.agency_id, bucket_of(placement.days_past_due), placement.currency)
        groups.setdefault(key, []).append((account_id, placement))
    rows = []
    for (agency_id, bucket, currency), group in groups.items():
        placed_amount = sum((p.placed_amount for _, p in group), Decimal(0))
        recovered = sum((p.collected for _, p in group), Decimal(0))
        rate = (recovered / placed_amount).quantize(RECOVERY_PLACES, ROUND_HALF_UP) if placed_amount else Decimal(0)
        rows.append(PerformanceRow(
            agency_id=agency_id, bucket=bucket, currency=currency, placed=len(group),
            accounts=len({account_id for account_id, _ in group}),
            recalled=sum(1 for _, p in group if p.recalled_at is not None), placed_amount=placed_amount,
            recovered=recovered, commission=sum((p.commission for _, p in group), Decimal(0)), recovery_rate=rate,
        ))  # fmt: skip
    return sorted(rows, key=lambda row: (row.agency_id, BUCKET_NAMES.index(row.bucket), row.currency))
