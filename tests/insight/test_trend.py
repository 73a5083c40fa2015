"""The aging trend and the roll rates on hand-made snapshots of three months."""

from dataclasses import dataclass
from decimal import Decimal

from insight.trend import GONE, trend


@dataclass
class Row:
    month: str
    account_id: str
    bucket: str
    outstanding: Decimal
    currency: str = "CNY"


SNAPSHOTS = [
    Row("2026-09", "A", "1-30", Decimal(100)), Row("2026-09", "B", "1-30", Decimal(200)),
    Row("2026-09", "C", "current", Decimal(50)), Row("2026-09", "D", "31-60", Decimal(10), "USD"),
    Row("2026-10", "A", "31-60", Decimal(100)), Row("2026-10", "C", "1-30", Decimal(50)),
    Row("2026-10", "E", "current", Decimal(70)),
    Row("2026-11", "A", "61-90", Decimal(60)), Row("2026-11", "E", "1-30", Decimal(70)),
]  # fmt: skip


def test_the_aging_month_after_month() -> None:
    result = trend(SNAPSHOTS)
    assert result.months == ["2026-09", "2026-10", "2026-11"]
    september = result.aging["CNY"]["2026-09"]
    assert (september["1-30"].accounts, september["1-30"].amount, september["current"].amount) == (2, 300, 50)
    assert result.aging["CNY"]["2026-11"]["61-90"].amount == 60
    assert list(result.aging["USD"]) == ["2026-09"]


def test_roll_rates_from_one_months_end_to_the_next() -> None:
    rolls = {(r.start, r.currency): r for r in trend(SNAPSHOTS).rolls}
    september = rolls[("2026-09", "CNY")]
    assert september.accounts["1-30"]["31-60"] == 1 and september.accounts["1-30"][GONE] == 1  # A rolled, B paid
    assert september.rates["1-30"]["31-60"] == 0.5 and september.rates["current"]["1-30"] == 1.0
    october = rolls[("2026-10", "CNY")]
    assert october.rates["31-60"]["61-90"] == 1.0 and october.rates["1-30"][GONE] == 1.0  # C gone
    assert rolls[("2026-09", "USD")].rates["31-60"][GONE] == 1.0
