"""Seed 001's early warning on the monthly snapshots: the share up to 30 days overdue, and the month-on-month growth
of the overdue amount, per business line and currency."""

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from domain.early_warning import evaluate, load_rules
from domain.policy import DEFAULT_POLICY_DIR

SEED = load_rules(DEFAULT_POLICY_DIR)


@dataclass
class Row:
    bucket: str
    outstanding: Decimal
    segment: str = "standard"
    currency: str = "CNY"


def rows(**buckets: int) -> list[Row]:
    names = {"current": "current", "d1_30": "1-30", "d31_60": "31-60", "d61_90": "61-90", "d90": "90+"}
    return [Row(names[key], Decimal(amount)) for key, amount in buckets.items()]


def test_the_seeds_two_rules_ship() -> None:
    assert [(r.name, r.measure, r.above) for r in SEED] == [
        ("overdue-within-30-days", "share_1_30", 0.15), ("overdue-growth", "overdue_growth", 0.20)]  # fmt: skip


def test_more_than_15_percent_up_to_30_days_overdue_warns() -> None:
    assert evaluate(SEED, rows(current=850, d1_30=150), None) == []  # exactly 15%: not above
    (warning,) = evaluate(SEED, rows(current=800, d1_30=200), None)
    assert (warning.rule, warning.group, warning.currency, warning.value) == ("overdue-within-30-days", "standard",
                                                                             "CNY", 0.2)  # fmt: skip
    assert "share_1_30 of standard (CNY) is 20.0%, above 15%" in warning.detail


def test_growth_of_the_overdue_amount_on_the_month_before_warns() -> None:
    october, november = rows(current=1000, d31_60=100), rows(current=1000, d31_60=125)
    (warning,) = evaluate(SEED, november, october)
    assert warning.rule == "overdue-growth" and warning.value == pytest.approx(0.25)
    assert evaluate(SEED, rows(current=1000, d31_60=120), october) == []  # +20%: not above
    assert evaluate(SEED, november, None) == []  # no month before: growth is not judged


def test_each_business_line_and_currency_apart() -> None:
    book = [Row("1-30", Decimal(50), "commercial"), Row("current", Decimal(1000), "commercial"),
            Row("1-30", Decimal(500), "standard", "USD"), Row("current", Decimal(500), "standard", "USD")]  # fmt: skip
    assert [(w.group, w.currency) for w in evaluate(SEED, book, None)] == [("standard", "USD")]


def test_a_bad_rule_file_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "warnings").mkdir()
    (tmp_path / "warnings" / "x.toml").write_text('[[rules]]\nname = "x"\nmeasure = "vibes"\nabove = 0.1\n')
    with pytest.raises(ValueError, match=r"invalid early-warning file .*x.toml"):
        load_rules(tmp_path)
