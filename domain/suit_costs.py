"""The cost test before suing (seed 000: 「一般建議債權金額至少是預計訴訟成本的3倍以上」「全面評估訴訟成本、勝訴可能性
和執行可行性」): what suing would cost (the court's acceptance fee by the jurisdiction's bands, domain.court_fees; the
lawyer's fee by the policy; the enforcement application fee), what it would likely recover, and whether the debt is
at least the policy's multiple of the cost. Below it, the policy's alternative is recommended; the approver of the
litigation step sees both (the approval request and the status)."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from domain.contact_rules import Frozen
from domain.court_fees import FeeSchedule
from domain.money import to_minor

if TYPE_CHECKING:
    from domain.account import AccountState

Alternative = Literal["agency", "payment_order", "write_off"]
ALTERNATIVES: dict[str, str] = {
    "agency": "place the account with a collection agency",
    "payment_order": "apply for a payment order 支付令 (a clear, undisputed debt)",
    "write_off": "write the debt off",
}


class LitigationRules(Frozen):
    """The cost test before the litigation step: the court fee schedule by name (a file in
    `policies/court-fees/`, its bands kept in the policy when loaded), the lawyer's fee, the share expected back, the
    multiple of the cost a debt must reach (seed 000: 3), and what to recommend below it."""

    court_fees: str | None = Field(default=None, pattern=r"^[a-z0-9_-]{1,40}$", description="the schedule's name")
    schedule: FeeSchedule | None = Field(default=None, description="its bands, loaded with the policy")
    lawyer_fee_rate: Decimal = Field(default=Decimal("0.05"), ge=0, le=1)
    lawyer_fee_minimum: Decimal = Field(default=Decimal("3000"), ge=0)
    recovery_rate: Decimal = Field(default=Decimal("0.6"), ge=0, le=1, description="the share a judgment recovers")
    min_multiple: Decimal = Field(default=Decimal(3), gt=0)
    alternative: Alternative = "payment_order"


class SuitCost(BaseModel):
    currency: str
    amount: Decimal  # in dispute: the balance owed
    court_fee: Decimal
    lawyer_fee: Decimal
    enforcement_fee: Decimal
    total: Decimal
    expected_recovery: Decimal
    multiple: Decimal  # amount / total
    min_multiple: Decimal
    worth_suing: bool
    recommendation: str = Field(description="what the policy suggests instead, when not worth suing")

    def describe(self) -> str:
        c = self.currency
        costs = (f"suing {self.amount} {c} costs about {self.total} {c} (court {self.court_fee}, lawyer "
                 f"{self.lawyer_fee}, enforcement {self.enforcement_fee}); expected recovery {self.expected_recovery} "
                 f"{c}; the debt is {self.multiple}x the cost")  # fmt: skip
        if self.worth_suing:
            return f"{costs}, at least the policy's {self.min_multiple}x"
        return f"{costs}, below the policy's {self.min_multiple}x: recommended instead, {self.recommendation}"


def cost_of_suing(state: "AccountState", now: datetime) -> SuitCost | None:
    """The cost test of suing for what is owed in the policy's court fee currency."""
    rules = state.policy.litigation
    owed = state.balances(now).get(rules.schedule.currency) if rules.schedule else None
    return estimate(owed, rules) if owed else None


def estimate(amount: Decimal, rules: LitigationRules) -> SuitCost | None:
    """The cost test for suing for `amount` in the schedule's currency; None without a schedule."""
    schedule = rules.schedule
    if schedule is None or amount <= 0:
        return None
    currency = schedule.currency
    court, enforcement = schedule.fee("filing", amount), schedule.fee("enforcement", amount)
    lawyer = to_minor(max(amount * rules.lawyer_fee_rate, rules.lawyer_fee_minimum), currency)
    total = court + lawyer + enforcement
    return SuitCost(currency=currency, amount=amount, court_fee=court, lawyer_fee=lawyer, enforcement_fee=enforcement,
                    total=total, expected_recovery=to_minor(amount * rules.recovery_rate, currency),
                    multiple=(amount / total).quantize(Decimal("0.1")), min_multiple=rules.min_multiple,
                    worth_suing=amount >= rules.min_multiple * total,
                    recommendation=ALTERNATIVES[rules.alternative])  # fmt: skip
