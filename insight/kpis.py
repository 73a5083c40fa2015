"""The department's figures for a month, from the accounts' facts (domain.facts, the store's `account_fact`), who
owns each account (the store's `account`) and the contacts made (the store's contact log). Pure: `kpis(...)`.

Definitions (a month is a calendar month in UTC; amounts are per currency, never added across currencies):
- placed: the invoices' amounts as they came in, less what was cancelled (credit notes, upheld disputes);
- collected: payments applied to the balance (money that paid nothing is not counted);
- recovery rate of a cohort (the accounts whose first invoice came in a given month): collected by the end of the
  month reported, over placed; its curve, collected within 0, 1, 2... months of entry over placed;
- outstanding: placed less collected, per account still open at the month's end;
- DSO (days sales outstanding, of the overdue book): outstanding at the month's end over what was placed in the three
  months up to it, times the days of those months;
- promise-kept rate: promises kept over promises judged (kept or broken) in the month; a promise still open when the
  account is paid in full counts as kept;
- plan completion rate: installment plans completed over plans that ended (completed or defaulted) in the month;
- cure rate of a stage: of the accounts that entered the stage by the month's end, the share that were paid in full
  while it was their latest stage;
- contacts per 1,000 collected: contacts with the debtor in the month (messages sent, calls and visits made) per
  1,000 of the month's collections."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel

from domain.facts import TRANSITIONAL

DIMENSIONS = ("segment", "policy", "arm", "team", "owner")


class FactRow(Protocol):
    account_id: str
    kind: str
    at: datetime
    amount: Decimal | None
    currency: str | None
    stage: str
    segment: str
    policy: str
    arm: str | None
    detail: str | None


@dataclass(frozen=True)
class Contact:
    account_id: str
    at: datetime


@dataclass
class Ledger:
    """One account's money and milestones, from its facts."""

    account_id: str
    segment: str = ""
    policy: str = ""
    arm: str | None = None
    entered: datetime | None = None
    currency: str | None = None
    placed: list[tuple[datetime, Decimal]] = field(default_factory=list)
    paid: list[tuple[datetime, Decimal]] = field(default_factory=list)
    cancelled: Decimal = Decimal(0)  # the latest running total
    stages: list[tuple[datetime, str]] = field(default_factory=list)
    closed: tuple[datetime, str] | None = None
    promises: list[tuple[datetime, bool]] = field(default_factory=list)  # judged: (when, kept)
    plans: list[tuple[datetime, bool]] = field(default_factory=list)  # ended: (when, completed)

    def placed_by(self, end: datetime) -> Decimal:
        return sum((a for at, a in self.placed if at < end), Decimal(0)) - self.cancelled

    def paid_by(self, end: datetime, start: datetime | None = None) -> Decimal:
        return sum((a for at, a in self.paid if at < end and (start is None or at >= start)), Decimal(0))

    def open_at(self, end: datetime) -> bool:
        return self.entered is not None and self.entered < end and (self.closed is None or self.closed[0] >= end)

    def stage_paid_in(self) -> str | None:
        """The stage it was in when paid in full (its latest stage before closing paid), if it was."""
        if self.closed is None or self.closed[1] != "paid":
            return None
        before = [stage for at, stage in self.stages if at <= self.closed[0]]
        return before[-1] if before else None


def ledgers(facts: Iterable[FactRow]) -> dict[str, Ledger]:
    books: dict[str, Ledger] = {}
    for fact in sorted(facts, key=lambda f: f.at):
        book = books.get(fact.account_id)
        if book is None:
            book = books[fact.account_id] = Ledger(fact.account_id, fact.segment, fact.policy, fact.arm)
        amount = fact.amount or Decimal(0)
        if fact.kind == "placed":
            book.entered = book.entered or fact.at
            book.currency = book.currency or fact.currency
            book.placed.append((fact.at, amount))
        elif fact.kind == "paid":
            book.paid.append((fact.at, amount))
        elif fact.kind == "cancelled":
            book.cancelled = max(book.cancelled, amount)
        elif fact.kind == "stage" and fact.stage not in TRANSITIONAL:
            book.stages.append((fact.at, fact.stage))
        elif fact.kind == "closed":
            book.closed = (fact.at, fact.detail or "")
        elif fact.kind in ("promise_kept", "promise_broken"):
            book.promises.append((fact.at, fact.kind == "promise_kept"))
        elif fact.kind in ("plan_completed", "plan_defaulted"):
            book.plans.append((fact.at, fact.kind == "plan_completed"))
    return books


class Rate(BaseModel):
    numerator: Decimal
    denominator: Decimal
    rate: float | None  # None: nothing to divide by

    @classmethod
    def of(cls, numerator: Decimal | int, denominator: Decimal | int) -> "Rate":
        top, bottom = Decimal(numerator), Decimal(denominator)
        return cls(numerator=top, denominator=bottom, rate=float(top / bottom) if bottom else None)


class Cohort(BaseModel):
    month: str
    accounts: int
    placed: Decimal
    collected: Decimal
    recovery: Rate
    curve: list[float]  # collected within 0, 1, 2... months of entry, over placed


class Figures(BaseModel):
    """One currency's figures for the month, over a set of accounts."""

    accounts_open: int
    placed_in_month: Decimal
    collected_in_month: Decimal
    outstanding: Decimal
    recovery: Rate  # all cohorts: collected by the month's end over placed
    dso: float | None
    promise_kept: Rate
    plan_completion: Rate
    contacts_per_1000_collected: float | None


class KpiReport(BaseModel):
    month: str
    currency: str
    figures: Figures
    cohorts: list[Cohort]
    cure_rate: dict[str, Rate]  # by stage
    by: dict[str, dict[str, Figures]]  # dimension -> value -> figures


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[first instant, first instant of the next month) of 'YYYY-MM' (ValueError otherwise)."""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = datetime(year, number, 1, tzinfo=UTC)
    except ValueError:
        raise ValueError(f"month {month[:20]!r}: expected YYYY-MM") from None
    return first, _add_months(first, 1)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=1)


def _month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def figures(books: Sequence[Ledger], contacts: Sequence[Contact], start: datetime, end: datetime) -> Figures:
    open_books = [b for b in books if b.open_at(end)]
    outstanding = sum((max(Decimal(0), b.placed_by(end) - b.paid_by(end)) for b in open_books), Decimal(0))
    quarter_start = _add_months(start, -2)
    placed_quarter = _placed_between(books, quarter_start, end)
    days = (end - quarter_start).days
    collected_month = sum((b.paid_by(end, start) for b in books), Decimal(0))
    judged = [kept for b in books for at, kept in b.promises if start <= at < end]
    ended = [done for b in books for at, done in b.plans if start <= at < end]
    ids = {b.account_id for b in books}
    talks = sum(1 for c in contacts if c.account_id in ids and start <= c.at < end)
    return Figures(
        accounts_open=len(open_books),
        placed_in_month=_placed_between(books, start, end),
        collected_in_month=collected_month,
        outstanding=outstanding,
        recovery=Rate.of(_total(b.paid_by(end) for b in books), _total(b.placed_by(end) for b in books)),
        dso=float(outstanding / placed_quarter * days) if placed_quarter else None,
        promise_kept=Rate.of(sum(judged), len(judged)),
        plan_completion=Rate.of(sum(ended), len(ended)),
        contacts_per_1000_collected=float(talks * 1000 / collected_month) if collected_month else None,
    )


def _total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, Decimal(0))


def _placed_between(books: Sequence[Ledger], start: datetime, end: datetime) -> Decimal:
    return _total(a for b in books for at, a in b.placed if start <= at < end)


def cohorts(books: Sequence[Ledger], end: datetime) -> list[Cohort]:
    entered: dict[str, list[Ledger]] = defaultdict(list)
    for book in books:
        if book.entered is not None and book.entered < end:
            entered[_month_of(book.entered)].append(book)
    found = []
    for month, members in sorted(entered.items()):
        first, _ = month_bounds(month)
        placed = sum((b.placed_by(end) for b in members), Decimal(0))
        collected = sum((b.paid_by(end) for b in members), Decimal(0))
        months = (end.year - first.year) * 12 + end.month - first.month
        curve = [float(sum((b.paid_by(min(end, _add_months(first, k + 1))) for b in members), Decimal(0)) / placed)
                 if placed else 0.0 for k in range(months)]  # fmt: skip
        found.append(Cohort(month=month, accounts=len(members), placed=placed, collected=collected,
                            recovery=Rate.of(collected, placed), curve=curve))  # fmt: skip
    return found


def cure_rates(books: Sequence[Ledger], end: datetime) -> dict[str, Rate]:
    entered: dict[str, int] = defaultdict(int)
    cured: dict[str, int] = defaultdict(int)
    for book in books:
        for stage in {stage for at, stage in book.stages if at < end}:
            entered[stage] += 1
        paid_in = book.stage_paid_in() if book.closed and book.closed[0] < end else None
        if paid_in:
            cured[paid_in] += 1
    return {stage: Rate.of(cured[stage], count) for stage, count in entered.items()}


def kpis(
    facts: Iterable[FactRow], month: str, owners: dict[str, tuple[str | None, str | None]] | None = None,
    contacts: Sequence[Contact] = (),
) -> list[KpiReport]:  # fmt: skip
    """The month's report, one per currency. `owners`: account -> (owner, team), from the store's accounts."""
    start, end = month_bounds(month)
    owners = owners or {}
    by_currency: dict[str, list[Ledger]] = defaultdict(list)
    for book in ledgers(facts).values():
        if book.currency is not None and book.entered is not None and book.entered < end:
            by_currency[book.currency].append(book)
    reports = []
    for currency, books in sorted(by_currency.items()):
        cuts: dict[str, dict[str, Figures]] = {}
        for dimension in DIMENSIONS:
            groups: dict[str, list[Ledger]] = defaultdict(list)
            for book in books:
                groups[_value(book, dimension, owners) or "-"].append(book)
            cuts[dimension] = {value: figures(group, contacts, start, end) for value, group in sorted(groups.items())}
        reports.append(KpiReport(month=month, currency=currency, figures=figures(books, contacts, start, end),
                                 cohorts=cohorts(books, end), cure_rate=cure_rates(books, end), by=cuts))  # fmt: skip
    return reports


def _value(book: Ledger, dimension: str, owners: dict[str, tuple[str | None, str | None]]) -> str | None:
    if dimension == "owner":
        return owners.get(book.account_id, (None, None))[0]
    if dimension == "team":
        return owners.get(book.account_id, (None, None))[1]
    return getattr(book, dimension)


def previous(month: str) -> str:
    start, _ = month_bounds(month)
    return _month_of(_add_months(start, -1))


def this_month(today: date) -> str:
    return f"{today.year:04d}-{today.month:02d}"
