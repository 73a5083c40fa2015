"""The book month after month, from the monthly aging snapshots (workflows/snapshot.py): the aging trend (accounts and
amount per bucket at each month's end, per currency) and the roll rates (of the accounts in a bucket at one month's
end, the share in each bucket at the next, or gone: paid, closed or handed on). Pure."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import pairwise
from typing import Protocol

from pydantic import BaseModel

from domain.aging import BUCKET_NAMES

GONE = "gone"  # not in the next month's snapshot: closed (paid, written off...) or no longer open


class SnapshotRow(Protocol):
    month: str
    account_id: str
    bucket: str
    outstanding: Decimal
    currency: str


class Point(BaseModel):
    accounts: int = 0
    amount: Decimal = Decimal(0)


class Roll(BaseModel):
    """From one month's end to the next: accounts (and their amount at the first month's end) per pair of buckets."""

    start: str
    end: str
    currency: str
    accounts: dict[str, dict[str, int]]  # from bucket -> to bucket (or gone) -> accounts
    rates: dict[str, dict[str, float]]  # the same, as shares of each from-bucket's accounts


class Trend(BaseModel):
    months: list[str]
    aging: dict[str, dict[str, dict[str, Point]]]  # currency -> month -> bucket -> point
    rolls: list[Roll]


def trend(rows: Iterable[SnapshotRow]) -> Trend:
    by_month: dict[str, list[SnapshotRow]] = defaultdict(list)
    for row in rows:
        by_month[row.month].append(row)
    months = sorted(by_month)
    aging: dict[str, dict[str, dict[str, Point]]] = defaultdict(dict)
    for month in months:
        for row in by_month[month]:
            buckets = aging[row.currency].setdefault(month, {name: Point() for name in BUCKET_NAMES})
            point = buckets[row.bucket]
            point.accounts += 1
            point.amount += row.outstanding
    rolls = [roll for a, b in pairwise(months) for roll in rolls_between(a, by_month[a], b, by_month[b])]
    return Trend(months=months, aging=dict(aging), rolls=rolls)


def rolls_between(start: str, before: Sequence[SnapshotRow], end: str, after: Sequence[SnapshotRow]) -> list[Roll]:
    later = {row.account_id: row.bucket for row in after}
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for row in before:
        counts[row.currency][row.bucket][later.get(row.account_id, GONE)] += 1
    found = []
    for currency, table in sorted(counts.items()):
        accounts = {b: {t: table[b][t] for t in (*BUCKET_NAMES, GONE)} for b in BUCKET_NAMES if b in table}
        rates = {b: {t: n / sum(row.values()) for t, n in row.items()} for b, row in accounts.items()}
        found.append(Roll(start=start, end=end, currency=currency, accounts=accounts, rates=rates))
    return found
