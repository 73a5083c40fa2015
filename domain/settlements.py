"""Settlements and waivers (seeds 000, 002 and 004: 「適當減免部分利息」「減免逾期費用」, a discount for a faster
payment, always with the creditor's permission). An offer waives the interest, the fees, or part of the principal
of one currency's balance if the debtor pays the rest by a date. It waits for approval at the level the policy's
matrix names for the amount given up (`settlement`); approved, it goes to the debtor as a letter and holds the
ladder until the date. Paid in time: what is still owed is waived and the account closes `settled`, the waived
interest, fees and principal recorded apart. Not paid: the offer lapses and the balance is what it was."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from domain.kinds import ActionKind
from domain.money import Part
from domain.policy import Step
from domain.timeline import Timeline


class Settlement(BaseModel):
    settlement_id: str  # the command's id
    currency: str
    waive_interest: bool
    waive_fees: bool
    pay: Decimal  # what the debtor pays in full settlement
    owed: Decimal  # the balance when offered: principal + interest + fees
    given_up: Decimal  # owed - pay, when offered: what the matrix bands
    expires_on: date  # the debtor's last day to pay
    reason: str
    by: str
    requested_at: datetime
    state: Literal["pending_approval", "offered", "settled", "lapsed", "rejected"] = "pending_approval"
    offered_at: datetime | None = None
    ended_at: datetime | None = None
    # What was waived when it settled, each apart (the legal and accounting record).
    waived_interest: Decimal = Decimal(0)
    waived_fees: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)

    @property
    def approval_key(self) -> str:
        return f"settlement-{self.settlement_id}"

    def allocation(self, order: list[Part]) -> list[Part]:
        """While it stands, a payment pays what the offer keeps before what it waives: what the debtor pays under an
        offer waiving the interest is principal, and the interest is what is waived when it settles."""
        waived = {part for part, on in (("interest", self.waive_interest), ("costs", self.waive_fees)) if on}
        return [p for p in order if p not in waived] + [p for p in order if p in waived]

    def lapses_at(self, clock: Timeline) -> datetime:
        """The morning after the last day to pay, in the debtor's timezone."""
        return clock.moment(self.expires_on, 1)

    def offer_step(self) -> Step:
        return Step(day=0, action=ActionKind.SETTLEMENT_OFFER, template="settlement_offer",
                    id=f"settlement-{self.settlement_id}-offer")  # fmt: skip

    def terms(self) -> str:
        waived = [w for w, on in (("interest", self.waive_interest), ("fees", self.waive_fees)) if on]
        what = f"waiving {' and '.join(waived)}" if waived else "a discount"
        return f"{self.pay} {self.currency} in full settlement of {self.owed} by {self.expires_on} ({what})"
