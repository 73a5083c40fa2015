"""What an account's ledger holds: each invoice with its principal and late interest, each payment with what it
paid, and the history's entries."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from domain.actions import InvoiceLine
from domain.money import Allocation, InterestTerms, to_minor

StepResult = Literal["done", "skipped", "failed"]
HistoryKind = Literal[
    "invoice",
    "duplicate",
    "payment",
    "action",
    "skipped",
    "failed",
    "closed",
    "command",
    "event",
    "deferred",
    "resumed",
    "fee",
    "refused",
    "settlement",
]


class InvoiceState(BaseModel):
    """One invoice: its principal and its late interest. Interest is kept exact (unrounded) up to
    `accrued_to` and rounded half-up to the minor unit only when charged, so rounding never compounds."""

    invoice_id: str
    amount: Decimal
    currency: str
    due_date: date
    contract_ref: str | None = None
    paid: Decimal = Field(default=Decimal(0), description="principal paid")
    interest_terms: InterestTerms | None = Field(default=None, description="the contract's rate, if it states one")
    daily_rate: Decimal = Field(default=Decimal(0), description="the rate it accrues at, capped by the policy")
    interest_cap: Decimal | None = Field(default=None, description="most interest it may ever carry")
    accrued_to: date | None = Field(default=None, description="interest is counted up to this day")
    interest_exact: Decimal = Decimal(0)
    interest_paid: Decimal = Decimal(0)
    interest_waived: Decimal = Decimal(0)
    principal_waived: Decimal = Field(default=Decimal(0), description="given up in a settlement (the invoice stands)")

    @property
    def outstanding(self) -> Decimal:
        """Principal still owed."""
        return self.amount - self.paid - self.principal_waived

    def interest_at(self, day: date, frozen: bool) -> Decimal:
        """Exact interest accrued by `day`: simple, on the principal owed since `accrued_to`."""
        if frozen or self.accrued_to is None or day <= self.accrued_to:
            return self.interest_exact
        return self.interest_exact + self.outstanding * self.daily_rate * (day - self.accrued_to).days

    def interest_charged(self, exact: Decimal) -> Decimal:
        charged = to_minor(exact, self.currency)
        return charged if self.interest_cap is None else min(charged, self.interest_cap)

    def interest_due(self, day: date | None = None, frozen: bool = True) -> Decimal:
        """Interest owed now (by `day`), or as last accrued when no day is given."""
        exact = self.interest_exact if day is None else self.interest_at(day, frozen)
        return self.interest_charged(exact) - self.interest_paid - self.interest_waived

    def accrue(self, day: date, frozen: bool) -> None:
        self.interest_exact = self.interest_at(day, frozen)
        if self.accrued_to is not None:
            self.accrued_to = max(self.accrued_to, day)

    def owes(self) -> bool:
        return self.outstanding > 0 or self.interest_due() > 0

    def line(self, day: date | None = None, frozen: bool = True) -> InvoiceLine:
        return InvoiceLine(
            invoice_id=self.invoice_id,
            contract_ref=self.contract_ref,
            amount=self.amount,
            outstanding=self.outstanding,
            interest=self.interest_due(day, frozen),
            currency=self.currency,
            due_date=self.due_date,
        )


class PaymentRecord(BaseModel):
    payment_id: str
    amount: Decimal
    currency: str
    received_at: datetime
    unapplied: Decimal = Field(default=Decimal(0), description="more than the open balance in this currency")
    allocations: list[Allocation] = Field(default=[], description="what it paid: costs, interest, principal")
    digest: str | None = Field(default=None, description="what it said (domain.commands.digest): tells a conflict")


class HistoryEntry(BaseModel):
    at: datetime
    kind: HistoryKind
    detail: str
    step: str | None = None
    day: int | None = None
    idempotency_key: str | None = None
