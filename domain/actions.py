"""What an activity is asked to do, and what it reports back. Plain models: they travel as payloads."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from domain.arrangements import Charge, ContactRecord, InstallmentPlan, LetterRecord, Promise
from domain.events import Debtor
from domain.kinds import ActionKind
from domain.money import Allocation
from domain.settlements import Settlement


class InvoiceLine(BaseModel):
    invoice_id: str
    contract_ref: str | None
    amount: Decimal
    outstanding: Decimal  # principal still owed
    interest: Decimal = Decimal(0)  # late interest owed, as of the line's date
    currency: str
    due_date: date


class PaymentLine(BaseModel):
    payment_id: str
    amount: Decimal
    currency: str
    received_at: datetime
    allocations: list[Allocation] = []


class Balance(BaseModel):
    """What is owed in one currency: amount = principal + interest + fees."""

    currency: str
    amount: Decimal
    principal: Decimal
    interest: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)


class ActionRequest(BaseModel):
    """Everything needed to render and deliver one ladder step, so the activity needs no other lookup."""

    idempotency_key: str
    account_id: str
    action: ActionKind
    step: str
    template: str
    stage: str
    debtor: Debtor
    creditor: str | None = Field(default=None, description="whose profile signs it; None: the default")
    invoices: list[InvoiceLine]
    balances: list[Balance]
    days_past_due: int
    oldest_due_date: date
    today: date
    deadline: date | None
    planned_at: datetime
    assignee_role: str | None = None
    team: str | None = None  # the account's team, by the policy's [work] teams rules
    due_at: datetime | None = None  # a person's task: when it is due (domain.account.AccountState.work_due)
    details: dict[str, str] = {}
    # What the store records with every action, and what a legal case file needs.
    workflow_id: str = ""
    policy: str = ""
    payments: list[PaymentLine] = []
    promises: list[Promise] = []
    letters: list[LetterRecord] = Field(default=[], description="at the legal handoff: each letter and its delivery")
    installment_plan: InstallmentPlan | None = Field(default=None, description="a repayment agreement's plan")
    settlements: list[Settlement] = Field(default=[], description="at the legal handoff: the offers made, and how each "
                                          "ended")  # fmt: skip
    handoff_reason: str | None = None
    fees: list[Charge] = []
    interest_terms: str = "none"
    allocation_order: list[str] = []


class ActionResult(BaseModel):
    idempotency_key: str
    channel: str
    recipient: str
    reference: str
    already_sent: bool = False


class DecisionRecord(BaseModel):
    """A decision for the contact log: a step skipped, or the account closed, and why."""

    idempotency_key: str
    account_id: str
    timezone: str
    step: str
    action: str
    result: str  # skipped | closed
    detail: str
    at: datetime


class ContactEntry(BaseModel):
    """A call or visit a person made, for the contact log (the `log_contact` activity)."""

    idempotency_key: str
    account_id: str
    timezone: str
    record: ContactRecord
