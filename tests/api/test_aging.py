"""domain.aging: buckets, counts and Decimal sums per currency and per stage. Pure."""

from decimal import Decimal

import pytest

from domain.aging import BUCKET_NAMES, AgingRow, Tally, age, bucket_of


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (None, "current"),
        (-3, "current"),
        (0, "current"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (60, "31-60"),
        (61, "61-90"),
        (90, "61-90"),
        (91, "90+"),
        (4000, "90+"),
    ],
)
def test_bucket_edges(days: int | None, bucket: str) -> None:
    assert bucket_of(days) == bucket


def row(days: int | None, amount: str, currency: str = "CNY", stage: str = "friendly") -> AgingRow:
    return AgingRow(days_past_due=days, stage=stage, currency=currency, amount=Decimal(amount))


def test_counts_and_sums_per_bucket_and_stage_in_each_currency_without_float_drift() -> None:
    rows = [
        row(0, "100.00", stage="pre_due"),
        row(5, "0.10"),
        row(29, "0.20"),
        row(45, "4000.00", stage="formal_demand"),
        row(120, "12000.01", stage="legal"),
        row(12, "2500.00", currency="USD"),
        row(None, "0.00", currency="USD", stage="closing"),
    ]

    report = age(rows)

    assert list(report.buckets) == ["CNY", "USD"]
    assert report.buckets["CNY"] == {
        "current": Tally(count=1, amount=Decimal("100.00")),
        "1-30": Tally(count=2, amount=Decimal("0.30")),  # 0.1 + 0.2, exactly
        "31-60": Tally(count=1, amount=Decimal("4000.00")),
        "61-90": Tally(),
        "90+": Tally(count=1, amount=Decimal("12000.01")),
    }
    assert list(report.buckets["USD"]) == list(BUCKET_NAMES)
    assert report.buckets["USD"]["1-30"] == Tally(count=1, amount=Decimal("2500.00"))
    assert report.buckets["USD"]["current"] == Tally(count=1, amount=Decimal("0.00"))
    assert report.stages["CNY"] == {
        "formal_demand": Tally(count=1, amount=Decimal("4000.00")),
        "friendly": Tally(count=2, amount=Decimal("0.30")),
        "legal": Tally(count=1, amount=Decimal("12000.01")),
        "pre_due": Tally(count=1, amount=Decimal("100.00")),
    }
    assert report.total("CNY") == Tally(count=5, amount=Decimal("16100.31"))
    assert report.total("EUR") == Tally()


def test_an_empty_book_and_the_json_keeps_amounts_as_strings() -> None:
    assert age([]).buckets == {} and age([]).stages == {}
    dumped = age([row(3, "1.10")]).model_dump(mode="json")
    assert dumped["buckets"]["CNY"]["1-30"] == {"count": 1, "amount": "1.10"}
