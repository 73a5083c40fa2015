"""Early warning (seed 001: 「對"逾期30天內賬款佔比超15%""超期賬款金額環比增長20%"的業務線,啟動"部門負責人約談"」):
thresholds evaluated on each monthly aging snapshot, per business line (segment) and currency, a warning for each
one crossed. Rules are data: every file of the policy folder's `warnings/` (policies/warnings/seed-001.toml ships the
seed's two).

Measures, over one group's open accounts at the snapshot:
- `share_1_30`: the amount 1 to 30 days past due over the whole amount (current included);
- `overdue_share`: the amount past due over the whole amount;
- `share_90_plus`: the amount more than 90 days past due over the whole amount;
- `overdue_growth`: the amount past due over the previous month's snapshot's, less one (not evaluated without a
  previous snapshot, or when it had nothing past due)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from domain.profile_files import check_unique, load_files

FOLDER = "warnings"
Measure = Literal["share_1_30", "overdue_share", "share_90_plus", "overdue_growth"]


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    measure: Measure
    above: float = Field(gt=-1, le=100, description="a warning when the measure is above this")
    by: Literal["segment", "all"] = Field(default="segment", description="per business line, or the whole book")
    description: str = Field(default="", max_length=500)


class Rules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: list[Rule] = Field(default=[], max_length=100)


class Row(Protocol):
    bucket: str
    outstanding: Decimal
    currency: str
    segment: str


@dataclass(frozen=True)
class Warning:
    rule: str
    group: str  # the segment, or "all"
    currency: str
    value: float
    above: float
    detail: str


def load_rules(folder: Path) -> list[Rule]:
    """Every rule of `folder/warnings/*.toml` (none: no folder), names unique."""
    rules = [rule for found in load_files(folder / FOLDER, Rules, "early-warning") for rule in found.rules]
    check_unique([rule.name for rule in rules], "early-warning rule", folder / FOLDER)
    return rules


def totals(rows: Iterable[Row], by: str) -> dict[tuple[str, str], dict[str, Decimal]]:
    """(group, currency) -> amount per bucket."""
    found: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        group = row.segment if by == "segment" else "all"
        found[(group, row.currency)][row.bucket] += row.outstanding
    return found


def measure(name: Measure, now: dict[str, Decimal], before: dict[str, Decimal] | None) -> float | None:
    whole = sum(now.values(), Decimal(0))
    overdue = whole - now.get("current", Decimal(0))
    if name == "overdue_growth":
        previous = None if before is None else sum(before.values(), Decimal(0)) - before.get("current", Decimal(0))
        return None if not previous else float(overdue / previous - 1)
    if not whole:
        return None
    part = {"share_1_30": now.get("1-30", Decimal(0)), "overdue_share": overdue,
            "share_90_plus": now.get("90+", Decimal(0))}[name]  # fmt: skip
    return float(part / whole)


def evaluate(rules: Iterable[Rule], rows: Iterable[Row], previous: Iterable[Row] | None) -> list[Warning]:
    """The warnings of this snapshot's rows (and the previous month's, for growth)."""
    rows, previous = list(rows), None if previous is None else list(previous)
    warnings = []
    for rule in rules:
        now, before = totals(rows, rule.by), None if previous is None else totals(previous, rule.by)
        for (group, currency), buckets in sorted(now.items()):
            value = measure(rule.measure, buckets, None if before is None else before.get((group, currency)))
            if value is not None and value > rule.above:
                detail = (f"{rule.measure} of {group} ({currency}) is {value:.1%}, above {rule.above:.0%}"
                          + (f": {rule.description}" if rule.description else ""))  # fmt: skip
                warnings.append(Warning(rule.name, group, currency, value, rule.above, detail))
    return warnings
