"""Aging of the book: how much is owed, and by how many accounts, per age bucket and per stage, in each currency.

Pure: rows in, a report out. Where the rows come from (Temporal visibility, see `book.py`) is not its concern.
Amounts stay Decimal from end to end; currencies are never added together.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

CURRENT = "current"
# (label, first day, last day); `current` holds everything not yet past due (days <= 0, or no unpaid due date).
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
BUCKET_NAMES: tuple[str, ...] = (CURRENT, *(name for name, _, _ in BUCKETS))


def bucket_of(days_past_due: int | None) -> str:
    """The bucket of an account `days_past_due` days past due. None (nothing unpaid is due) counts as current."""
    if days_past_due is None or days_past_due <= 0:
        return CURRENT
    for name, _first, last in BUCKETS:
        if last is None or days_past_due <= last:
            return name
    raise AssertionError("unreachable: the last bucket is open-ended")


@dataclass(frozen=True)
class AgingRow:
    """One account as the aging sees it."""

    days_past_due: int | None
    stage: str
    currency: str
    amount: Decimal


class Tally(BaseModel):
    """How many accounts, and how much they owe."""

    model_config = ConfigDict(frozen=True)

    count: int = 0
    amount: Decimal = Decimal("0")

    def plus(self, amount: Decimal) -> "Tally":
        return Tally(count=self.count + 1, amount=self.amount + amount)


class AgingReport(BaseModel):
    """`buckets[currency][bucket]` (every bucket present, in order) and `stages[currency][stage]`, as of a day."""

    model_config = ConfigDict(frozen=True)

    as_of: date | None = None
    bucket_names: tuple[str, ...] = BUCKET_NAMES
    buckets: dict[str, dict[str, Tally]]
    stages: dict[str, dict[str, Tally]]

    def total(self, currency: str) -> Tally:
        tallies = self.buckets.get(currency, {}).values()
        return Tally(count=sum(t.count for t in tallies), amount=sum((t.amount for t in tallies), Decimal("0")))


def age(rows: Iterable[AgingRow], as_of: date | None = None) -> AgingReport:
    """Count and sum the rows per bucket and per stage, separately in each currency (sorted by currency)."""
    buckets: dict[str, dict[str, Tally]] = {}
    stages: dict[str, dict[str, Tally]] = {}
    for row in rows:
        per_bucket = buckets.setdefault(row.currency, {name: Tally() for name in BUCKET_NAMES})
        name = bucket_of(row.days_past_due)
        per_bucket[name] = per_bucket[name].plus(row.amount)
        per_stage = stages.setdefault(row.currency, {})
        per_stage[row.stage] = per_stage.get(row.stage, Tally()).plus(row.amount)
    return AgingReport(
        as_of=as_of,
        buckets={currency: buckets[currency] for currency in sorted(buckets)},
        stages={currency: dict(sorted(stages[currency].items())) for currency in sorted(stages)},
    )
