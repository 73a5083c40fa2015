"""What an activity is asked to do, and what it reports back. Plain models: they travel as payloads."""

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from domain.arrangements import Promise
from domain.events import Debtor
from domain.policy import ActionKind


class InvoiceLine(BaseModel):
    invoice_id: str
    contract_ref: str | None
    amount: Decimal
    outstanding: Decimal
    currency: str
    due_date: date


class PaymentLine(BaseModel):
    payment_id: str
    amount: Decimal
    currency: str
    received_at: datetime


class Balance(BaseModel):
    currency: str
    amount: Decimal


class ActionRequest(BaseModel):
    """Everything needed to render and deliver one ladder step, so the activity needs no other lookup."""

    idempotency_key: str
    account_id: str
    action: ActionKind
    step: str
    template: str
    stage: str
    debtor: Debtor
    invoices: list[InvoiceLine]
    balances: list[Balance]
    days_past_due: int
    oldest_due_date: date
    today: date
    deadline: date | None
    planned_at: datetime
    assignee_role: str | None = None
    details: dict[str, str] = {}
    # What the store records with every action, and what a legal case file needs.
    workflow_id: str = ""
    policy: str = ""
    payments: list[PaymentLine] = []
    promises: list[Promise] = []
    handoff_reason: str | None = None


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
