"""Champion/challenger compared: each arm of an experiment (domain.experiments) on the same figures, with 95%
confidence intervals, and a plain verdict for each challenger against the champion.

- recovery rate: collected over placed, over the arm's accounts (a ratio estimator: its standard error from the
  accounts' spread around the ratio);
- paid in full: the share of the arm's accounts closed paid (Wilson interval);
- promise-kept rate: promises kept over promises judged (Wilson interval);
- contacts per account, and the share handed to legal.
The verdict rests on the recovery rate: a difference whose interval excludes zero is called, one that does not is
"no difference shown yet"; an arm with fewer than MIN_ACCOUNTS accounts is "not enough accounts yet"."""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from pydantic import BaseModel

from domain.experiments import CHAMPION
from insight.kpis import Contact, FactRow, Ledger, ledgers

Z = 1.959964  # 95%
MIN_ACCOUNTS = 100
FOREVER = datetime(2100, 12, 31, tzinfo=UTC)  # everything recorded so far


class Interval(BaseModel):
    value: float | None
    low: float | None
    high: float | None


class ArmFigures(BaseModel):
    arm: str
    accounts: int
    placed: float
    collected: float
    recovery: Interval
    paid_in_full: Interval
    promise_kept: Interval
    contacts_per_account: float | None
    to_legal: float | None  # share of accounts handed to legal


class Comparison(BaseModel):
    challenger: str
    difference: Interval  # challenger's recovery rate less the champion's, in points of rate
    verdict: str


class ExperimentReport(BaseModel):
    experiment: str
    arms: list[ArmFigures]
    comparisons: list[Comparison]


def wilson(successes: int, trials: int) -> Interval:
    if trials == 0:
        return Interval(value=None, low=None, high=None)
    p = successes / trials
    centre = (p + Z * Z / (2 * trials)) / (1 + Z * Z / trials)
    half = Z * math.sqrt(p * (1 - p) / trials + Z * Z / (4 * trials * trials)) / (1 + Z * Z / trials)
    return Interval(value=p, low=max(0.0, centre - half), high=min(1.0, centre + half))


def ratio(collected: Sequence[float], placed: Sequence[float]) -> tuple[float | None, float | None]:
    """Σcollected / Σplaced and its standard error (the ratio estimator's, from the residuals y - R x)."""
    n, total = len(placed), sum(placed)
    if n == 0 or total <= 0:
        return None, None
    rate = sum(collected) / total
    if n < 2:
        return rate, None
    mean = total / n
    spread = sum((y - rate * x) ** 2 for y, x in zip(collected, placed, strict=True)) / (n - 1)
    return rate, math.sqrt(spread / n) / mean


def around(value: float | None, error: float | None) -> Interval:
    if value is None or error is None:
        return Interval(value=value, low=None, high=None)
    return Interval(value=value, low=max(0.0, value - Z * error), high=value + Z * error)  # a rate is never below 0


def figures(arm: str, books: Sequence[Ledger], contacts: int) -> tuple[ArmFigures, float | None]:
    placed = [float(b.placed_by(FOREVER)) for b in books]
    collected = [float(b.paid_by(FOREVER)) for b in books]
    rate, error = ratio(collected, placed)
    recovery = around(rate, error)
    paid = sum(1 for b in books if b.closed is not None and b.closed[1] == "paid")
    judged = [kept for b in books for _, kept in b.promises]
    legal = sum(1 for b in books if any(stage == "with_legal" for _, stage in b.stages))
    n = len(books)
    return ArmFigures(arm=arm, accounts=n, placed=sum(placed), collected=sum(collected), recovery=recovery,
                      paid_in_full=wilson(paid, n), promise_kept=wilson(sum(judged), len(judged)),
                      contacts_per_account=contacts / n if n else None,
                      to_legal=legal / n if n else None), error  # fmt: skip


def compare(
    facts: Iterable[FactRow], contacts: Sequence[Contact] = (), currency: str | None = None
) -> list[ExperimentReport]:
    """Every experiment found in the facts (by its arms' names), its arms and the comparisons with its champion. Only
    accounts in `currency` (default: each experiment's most common one): rates are not compared across currencies."""
    by_arm: dict[str, list[Ledger]] = defaultdict(list)
    for book in ledgers(facts).values():
        if book.arm and book.entered is not None:
            by_arm[book.arm].append(book)
    talks: dict[str, int] = defaultdict(int)
    for contact in contacts:
        talks[contact.account_id] += 1
    experiments: dict[str, list[str]] = defaultdict(list)
    for arm in sorted(by_arm):
        experiments[arm.split("/", 1)[0]].append(arm)
    reports = []
    for name, arms in sorted(experiments.items()):
        chosen = currency or _most_common(b.currency for arm in arms for b in by_arm[arm])
        results = {}
        for arm in arms:
            books = [b for b in by_arm[arm] if b.currency == chosen]
            results[arm] = figures(arm, books, sum(talks[b.account_id] for b in books))
        champion = results.get(f"{name}/{CHAMPION}")
        comparisons = [verdict(results[arm], champion) for arm in arms if arm != f"{name}/{CHAMPION}"]
        reports.append(ExperimentReport(experiment=name, arms=[f for f, _ in results.values()],
                                        comparisons=comparisons))  # fmt: skip
    return reports


def _most_common(currencies: Iterable[str | None]) -> str | None:
    counts: dict[str | None, int] = defaultdict(int)
    for currency in currencies:
        counts[currency] += 1
    return max(counts, key=lambda c: counts[c]) if counts else None


Measured = tuple[ArmFigures, float | None]  # an arm's figures, and its recovery rate's standard error


def verdict(challenger: Measured, champion: Measured | None) -> Comparison:
    arm, error = challenger
    name = arm.arm.split("/", 1)[1]
    if champion is None:
        return Comparison(challenger=arm.arm, difference=Interval(value=None, low=None, high=None),
                          verdict="no champion accounts yet: nothing to compare with")  # fmt: skip
    base, base_error = champion
    smallest = min(arm.accounts, base.accounts)
    if smallest < MIN_ACCOUNTS or error is None or base_error is None:
        return Comparison(challenger=arm.arm, difference=Interval(value=None, low=None, high=None),
                          verdict=f"not enough accounts yet: {arm.accounts} on {name}, {base.accounts} on the "
                                  f"champion (at least {MIN_ACCOUNTS} each)")  # fmt: skip
    assert arm.recovery.value is not None and base.recovery.value is not None
    gap = arm.recovery.value - base.recovery.value
    half = Z * math.sqrt(error * error + base_error * base_error)
    low, high = gap - half, gap + half
    span = f"{gap * 100:+.1f} points (95% CI {low * 100:+.1f} to {high * 100:+.1f})"
    if low > 0:
        said = f"{name} collects more than the champion: {span}"
    elif high < 0:
        said = f"{name} collects less than the champion: {span}"
    else:
        said = f"no difference shown yet between {name} and the champion: {span}; keep it running"
    return Comparison(challenger=arm.arm, difference=Interval(value=gap, low=low, high=high), verdict=said)
