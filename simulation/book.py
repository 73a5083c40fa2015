"""The accounts a simulation runs: a synthetic book drawn from parameters (seeded), or today's book as exported
(`collections report book --format csv`). Each account is what the planner needs to know of it: its segment and
policy, its balance, where it stands, its timezone and locale, and which contact details it has."""

import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from pathlib import Path

import numpy as np
from pydantic import Field

from simulation.responses import Strict

MAX_ACCOUNTS = 2_000_000
MAX_AMOUNT = 10**12


@dataclass(frozen=True)
class SimAccount:
    account_id: str
    segment: str
    amount: Decimal  # what it owes at the start
    currency: str = "CNY"
    days_past_due: int = 0  # where it stands at the start (0: falls due on the first day)
    policy: str | None = None  # the policy it runs under today (None: the book's choice for its segment and amount)
    timezone: str = "Asia/Shanghai"
    locale: str = "zh-CN"
    country: str | None = "CN"
    phone: bool = True
    email: bool = True
    address: bool = True


class SegmentMix(Strict):
    """One segment of a synthetic book: its share of the accounts and its balances (log-normal)."""

    segment: str = Field(max_length=100)
    share: float = Field(gt=0, le=1)
    median_amount: Decimal = Field(default=Decimal(8000), gt=0, le=MAX_AMOUNT)
    spread: float = Field(default=1.0, ge=0, le=3, description="sigma of the log of the balance")


class SyntheticBook(Strict):
    """A book drawn at random (seeded) from these parameters: every account falls due on the first day."""

    accounts: int = Field(default=10_000, ge=1, le=MAX_ACCOUNTS)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    segments: list[SegmentMix] = Field(
        default=[SegmentMix(segment="standard", share=0.6), SegmentMix(segment="commercial", share=0.3,
                 median_amount=Decimal(45000)), SegmentMix(segment="important", share=0.1,
                 median_amount=Decimal(120000))],
        min_length=1, max_length=50,
    )  # fmt: skip
    timezone: str = "Asia/Shanghai"
    locale: str = "zh-CN"
    country: str = "CN"
    phone: float = Field(default=0.95, ge=0, le=1, description="share of debtors with a phone number")
    email: float = Field(default=0.85, ge=0, le=1, description="share with an email address")
    address: float = Field(default=0.98, ge=0, le=1, description="share with a postal address")

    def draw(self, seed: int) -> list[SimAccount]:
        rng = np.random.default_rng(seed)
        shares = np.array([s.share for s in self.segments])
        which = rng.choice(len(self.segments), size=self.accounts, p=shares / shares.sum())
        medians = np.array([float(s.median_amount) for s in self.segments])[which]  # draws in float, kept to the cent
        spreads = np.array([s.spread for s in self.segments])[which]
        amounts = np.clip(np.round(medians * np.exp(rng.normal(0, 1, self.accounts) * spreads), 2), 1, MAX_AMOUNT)
        has = {name: rng.random(self.accounts) < getattr(self, name) for name in ("phone", "email", "address")}
        return [
            SimAccount(account_id=f"SIM-{n + 1:07d}", segment=self.segments[which[n]].segment,
                       amount=Decimal(f"{amounts[n]:.2f}"), currency=self.currency, timezone=self.timezone,
                       locale=self.locale, country=self.country, phone=bool(has["phone"][n]),
                       email=bool(has["email"][n]), address=bool(has["address"][n]))
            for n in range(self.accounts)
        ]  # fmt: skip


BOOK_COLUMNS = ("account_id", "segment", "policy", "outstanding", "currency", "days_past_due", "timezone", "locale",
                "country", "phone", "email", "address")  # fmt: skip


def read_book(path: Path) -> list[SimAccount]:
    """Today's book from a CSV export: its open accounts with a balance (several currencies: refused, row named)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:  # our exports start with a byte-order mark
        rows = csv.DictReader(handle)
        missing = [c for c in ("account_id", "segment", "outstanding", "currency") if c not in (rows.fieldnames or [])]
        if missing:
            expected = ", ".join(BOOK_COLUMNS)
            raise ValueError(f"{path}: the book lacks column(s) {', '.join(missing)} (expected {expected})")
        return list(accounts_from(rows, str(path)))


def accounts_from(rows: Iterable[dict[str, str]], path: str) -> Iterable[SimAccount]:
    """The accounts of a book's rows (as exported: BOOK_COLUMNS, as text); `path` names the source in errors."""
    for line, row in enumerate(rows, start=2):
        if line > MAX_ACCOUNTS + 1:
            raise ValueError(f"{path}: more than {MAX_ACCOUNTS:,} accounts")
        try:
            amount = Decimal(row["outstanding"])
            if not amount.is_finite() or amount > MAX_AMOUNT:
                raise InvalidOperation
        except InvalidOperation:
            raise ValueError(f"{path}:{line}: outstanding {row['outstanding'][:40]!r} is not an amount") from None
        if amount <= 0:
            continue  # nothing left to collect
        if "," in row["currency"] or len(row["currency"]) != 3:
            raise ValueError(f"{path}:{line}: currency {row['currency'][:40]!r}: one currency per simulated account")
        days = int(row.get("days_past_due") or 0)
        if not -30 <= days <= 3650:
            raise ValueError(f"{path}:{line}: days_past_due {days} is outside -30..3650")
        yield SimAccount(
            account_id=row["account_id"][:128], segment=row["segment"][:100] or "standard", amount=amount,
            currency=row["currency"], days_past_due=days, policy=row.get("policy") or None,
            timezone=row.get("timezone") or "Asia/Shanghai", locale=row.get("locale") or "zh-CN",
            country=row.get("country") or None, phone=_flag(row.get("phone")), email=_flag(row.get("email")),
            address=_flag(row.get("address")),
        )  # fmt: skip


def _flag(value: str | None) -> bool:
    """Whether a detail is there: a missing column counts as there (the export says so where it knows)."""
    return (value or "true").strip().lower() not in ("false", "0", "no", "")


def band(amount: Decimal) -> Decimal:
    """The balance the planner is shown for an account: the middle of its band of the 1-2-5 series (100, 200, 500,
    1,000, ...), on which the policies' amount thresholds fall. Accounts of one band share their course; what each
    collects is its own balance times the share its course collected."""
    value = float(amount)
    if value <= 1:
        return Decimal("1.00")
    decade = 10 ** math.floor(math.log10(value))
    edges = [decade * m for m in (1, 2, 5, 10)]
    low, high = next((lo, hi) for lo, hi in pairwise(edges) if lo <= value < hi)
    return Decimal(f"{math.sqrt(low * high):.2f}")
