"""The KPIs on a hand-computed book: two cohorts (October and November 2026), payments across months, a promise
kept and one broken, a plan defaulted, an account in another currency."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from insight.kpis import Contact, kpis, month_bounds


@dataclass
class Row:
    account_id: str
    kind: str
    at: datetime
    amount: Decimal | None = None
    currency: str | None = "CNY"
    stage: str = "friendly"
    segment: str = "standard"
    policy: str = "standard"
    arm: str | None = None
    detail: str | None = None


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 3, 0, tzinfo=UTC)


BOOK = [
    Row("A1", "placed", on(10, 5), Decimal(1000)), Row("A1", "stage", on(10, 6)),
    Row("A1", "paid", on(10, 20), Decimal(300)), Row("A1", "stage", on(11, 5), stage="formal_demand"),
    Row("A1", "promise_broken", on(11, 10), Decimal(700)), Row("A1", "paid", on(11, 25), Decimal(700)),
    Row("A1", "closed", on(11, 25), stage="closed", detail="paid"),
    Row("A2", "placed", on(10, 10), Decimal(2000), arm="x/champion"), Row("A2", "stage", on(10, 11), arm="x/champion"),
    Row("A2", "paid", on(10, 28), Decimal(500), arm="x/champion"),
    Row("A2", "promise_kept", on(10, 30), Decimal(500), arm="x/champion"),
    Row("A2", "stage", on(11, 10), stage="formal_demand", arm="x/champion"),
    Row("A3", "placed", on(11, 3), Decimal(4000), segment="commercial", policy="commercial"),
    Row("A3", "stage", on(11, 4), segment="commercial", policy="commercial"),
    Row("A3", "paid", on(11, 15), Decimal(1000), segment="commercial", policy="commercial"),
    Row("A3", "plan_defaulted", on(11, 28), Decimal(3000), segment="commercial", policy="commercial"),
    Row("A4", "placed", on(11, 20), Decimal(500), currency="USD"),
]  # fmt: skip
OWNERS = {"A1": ("li", "east"), "A2": ("li", "east"), "A3": ("wang", "west")}
CONTACTS = [Contact("A1", on(11, 2)), Contact("A1", on(11, 12)), Contact("A3", on(11, 5)), Contact("A2", on(10, 12))]


def test_the_months_figures_in_each_currency() -> None:
    cny, usd = kpis(BOOK, "2026-11", OWNERS, CONTACTS)
    assert (cny.currency, usd.currency) == ("CNY", "USD")
    figures = cny.figures
    assert figures.accounts_open == 2  # A1 closed on the 25th
    assert (figures.placed_in_month, figures.collected_in_month, figures.outstanding) == (4000, 1700, 4500)
    assert figures.recovery.rate == pytest.approx(2500 / 7000)
    assert figures.dso == pytest.approx(4500 / 7000 * 91)  # September to November: 91 days
    assert (figures.promise_kept.numerator, figures.promise_kept.denominator) == (0, 1)  # A1's, broken in November
    assert (figures.plan_completion.numerator, figures.plan_completion.denominator) == (0, 1)
    assert figures.contacts_per_1000_collected == pytest.approx(3 * 1000 / 1700)
    assert (usd.figures.placed_in_month, usd.figures.outstanding, usd.figures.recovery.rate) == (500, 500, 0)


def test_cohorts_by_month_of_entry_with_their_curves() -> None:
    october, november = kpis(BOOK, "2026-11", OWNERS, CONTACTS)[0].cohorts
    assert (october.month, october.accounts, october.placed, october.collected) == ("2026-10", 2, 3000, 1500)
    assert october.recovery.rate == pytest.approx(0.5)
    assert october.curve == pytest.approx([800 / 3000, 1500 / 3000])  # within its first month, then by November's end
    assert (november.month, november.placed, november.collected, november.curve) == ("2026-11", 4000, 1000, [0.25])
    assert [c.month for c in kpis(BOOK, "2026-10")[0].cohorts] == ["2026-10"]  # October's report: one cohort


def test_cure_rate_per_stage_and_the_cuts() -> None:
    report = kpis(BOOK, "2026-11", OWNERS, CONTACTS)[0]
    assert {stage: (r.numerator, r.denominator) for stage, r in report.cure_rate.items()} == {
        "friendly": (0, 3), "formal_demand": (1, 2)}  # A1 paid in full in formal demand  # fmt: skip
    owners = report.by["owner"]
    assert set(owners) == {"li", "wang"}
    assert (owners["li"].collected_in_month, owners["li"].accounts_open) == (700, 1)
    assert owners["wang"].outstanding == 3000
    assert set(report.by["segment"]) == {"standard", "commercial"}
    assert set(report.by["arm"]) == {"x/champion", "-"}
    assert report.by["team"]["east"].recovery.rate == pytest.approx(1500 / 3000)


def test_october_as_it_stood_then() -> None:
    october = kpis(BOOK, "2026-10", OWNERS, CONTACTS)[0].figures
    assert (october.collected_in_month, october.outstanding, october.accounts_open) == (800, 2200, 2)
    assert (october.promise_kept.numerator, october.promise_kept.denominator) == (1, 1)


@pytest.mark.parametrize("month", ["2026-13", "November", "2026-1-1", ""])
def test_a_bad_month_is_refused(month: str) -> None:
    with pytest.raises(ValueError, match="expected YYYY-MM"):
        month_bounds(month)
