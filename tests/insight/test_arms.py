"""Champion/challenger compared: intervals, and the verdict in words."""

import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from insight.arms import compare, ratio, wilson
from tests.insight.test_kpis import Row

AT = datetime(2026, 11, 2, tzinfo=UTC)


def arm_book(arm: str, accounts: int, recovered: float, seed: int) -> list[Row]:
    """`accounts` accounts of 1,000 to 10,000, each paying in full with chance `recovered`, or nothing."""
    draw, rows = random.Random(seed), []
    for n in range(accounts):
        account, amount = f"{arm}-{n}", Decimal(draw.randint(1000, 10000))
        rows.append(Row(account, "placed", AT, amount, arm=arm))
        if draw.random() < recovered:
            rows += [Row(account, "paid", AT, amount, arm=arm), Row(account, "closed", AT, detail="paid", arm=arm)]
    return rows


def verdicts(*arms: tuple[str, int, float]) -> list[str]:
    facts = [row for n, (arm, count, rate) in enumerate(arms) for row in arm_book(arm, count, rate, n)]
    (report,) = compare(facts)
    return [c.verdict for c in report.comparisons]


def test_a_challenger_that_collects_more_is_called_with_its_interval() -> None:
    (said,) = verdicts(("x/champion", 400, 0.5), ("x/faster", 400, 0.7))
    assert said.startswith("faster collects more than the champion: +") and "95% CI +" in said


def test_arms_alike_are_no_difference_yet_and_small_ones_not_enough() -> None:
    (alike,) = verdicts(("x/champion", 400, 0.6), ("x/same", 400, 0.6))
    assert alike.startswith("no difference shown yet between same and the champion")
    (small,) = verdicts(("x/champion", 400, 0.6), ("x/new", 30, 0.9))
    assert small == "not enough accounts yet: 30 on new, 400 on the champion (at least 100 each)"


def test_each_arm_has_its_figures() -> None:
    facts = arm_book("x/champion", 200, 0.5, 1) + arm_book("x/faster", 150, 0.6, 2)
    (report,) = compare(facts)
    champion, faster = report.arms
    assert (champion.arm, champion.accounts, faster.accounts) == ("x/champion", 200, 150)
    assert champion.recovery.low < champion.recovery.value < champion.recovery.high
    assert champion.paid_in_full.value == pytest.approx(champion.collected / champion.placed, abs=0.15)
    assert report.experiment == "x"


def test_wilson_and_the_ratio_estimator_on_known_figures() -> None:
    interval = wilson(5, 10)
    assert (interval.low, interval.high) == (pytest.approx(0.2366, abs=1e-4), pytest.approx(0.7634, abs=1e-4))
    assert wilson(0, 0).value is None and wilson(0, 10).low == 0
    rate, error = ratio([50, 0, 100], [100, 100, 100])
    assert rate == pytest.approx(0.5) and error == pytest.approx(((0**2 + 50**2 + 50**2) / 2 / 3) ** 0.5 / 100)
