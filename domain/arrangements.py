"""What an account carries besides invoices and payments: promises, plans, disputes, pauses, approvals."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel


class Promise(BaseModel):
    promise_id: str
    amount: Decimal
    currency: str
    promised_date: date
    taken_by: str
    made_at: datetime
    paid_before: Decimal  # total paid when the promise was made: what is paid after counts towards it
    state: Literal["open", "kept", "broken"] = "open"
    judged_at: datetime | None = None


class Installment(BaseModel):
    number: int
    amount: Decimal
    due_date: date
    state: Literal["pending", "paid", "missed"] = "pending"


class InstallmentPlan(BaseModel):
    plan_id: str
    currency: str
    agreed_by: str
    agreed_at: datetime
    paid_before: Decimal
    installments: list[Installment]
    state: Literal["active", "completed", "defaulted"] = "active"


class Dispute(BaseModel):
    dispute_id: str
    reason: str
    invoice_ids: list[str]  # empty: the whole balance
    opened_by: str
    opened_at: datetime
    state: Literal["open", "upheld", "rejected"] = "open"
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    note: str | None = None


class PauseRecord(BaseModel):
    pause_id: str
    reason: str
    by: str
    started_at: datetime
    until: datetime
    ended_at: datetime | None = None


class Approval(BaseModel):
    step: str
    level: int  # index into the policy's approver levels
    requested_at: datetime  # at this level
    state: Literal["pending", "approved", "rejected"] = "pending"
    decided_by: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None


class Bankruptcy(BaseModel):
    reported_by: str
    reported_at: datetime
    case_reference: str = ""
    note: str = ""


class ContactMade(BaseModel):
    """One contact counted against the caps: a message sent, a task given, or a call a collector reported."""

    at: datetime
    channel: str  # sms | email | call | visit
    conversation: bool = False  # the debtor was reached and spoke with us


class Migration(BaseModel):
    """An account moved to another policy: the audit record."""

    from_policy: str
    to_policy: str
    mapping: str
    stage: str | None
    day_before: int
    day_after: int
    by: str
    reason: str
    at: datetime


class Charge(BaseModel):
    """A late fee (a cost) charged to the account when it entered a stage."""

    charge_id: str
    stage: str
    currency: str
    amount: Decimal
    charged_at: datetime
    paid: Decimal = Decimal(0)
    waived: Decimal = Decimal(0)

    @property
    def owed(self) -> Decimal:
        return self.amount - self.paid - self.waived


class DebtorConflict(BaseModel):
    """A joining invoice's debtor differs from the account's: kept as it was, for a supervisor to decide."""

    event_id: str
    field: str
    kept: str | None
    offered: str | None
    at: datetime
