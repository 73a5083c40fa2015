"""Who may decide what: the approver levels, in rank order, and the policy's approval matrix.

Seed 000 asks for 「壞賬核銷等重要決策設置多級審批」 and 「明確審批權限和流程」; seed 002 for the boss's consent before
an order lock or a lawyer's letter. So each approval request names the lowest level that may decide it (the
policy's matrix: by what is approved and by the balance), goes straight to that level, and is refused to anyone
below it, and to the person who asked for it (four eyes)."""

from decimal import Decimal
from typing import Literal, get_args

Level = Literal["supervisor", "manager", "general_manager"]
LEVELS: tuple[Level, ...] = get_args(Level)  # lowest first

# What an approval may be about besides a ladder step's action (an ActionKind value).
WRITE_OFF = "write_off"
INSTALLMENT_PLAN = "installment_plan"
SETTLEMENT = "settlement"  # an offer that gives up interest, fees or principal: banded by the amount given up


def rank(level: str | None) -> int:
    """0 for no level (collectors, legal, ops, machine keys), then 1, 2, 3 from supervisor up."""
    return LEVELS.index(level) + 1 if level in LEVELS else 0


def may_decide(approver: str | None, needed: str) -> bool:
    return rank(approver) >= rank(needed)


def band_level(rows: list[tuple[str, Decimal, str]], subject: str, balance: Decimal, default: str) -> str:
    """The level of the highest band of `subject` that `balance` reaches ((subject, from_amount, level) rows), or
    `default` when no row names the subject."""
    reached = [(start, level) for what, start, level in rows if what == subject and balance >= start]
    return max(reached)[1] if reached else default
