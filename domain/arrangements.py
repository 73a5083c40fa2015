"""What an account carries besides invoices and payments: promises, plans, disputes, pauses, approvals."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from domain.commands import AgreeInstallmentPlan


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
    amount: Decimal  # all it asks: principal, plus the plan's fee and interest on it
    due_date: date
    state: Literal["pending", "paid", "missed"] = "pending"
    fee: Decimal = Decimal(0)  # the plan fee (the first installment)
    interest: Decimal = Decimal(0)  # the plan's interest, charged when it falls due
    down_payment: bool = False


class InstallmentPlan(BaseModel):
    plan_id: str
    currency: str
    agreed_by: str
    agreed_at: datetime
    paid_before: Decimal
    installments: list[Installment]
    # awaiting_signature: agreed, in force only once its written agreement is signed (rules 8, `in_force`)
    state: Literal["awaiting_signature", "active", "completed", "defaulted"] = "active"


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
    """A request for a decision: a ladder step that needs approval, a write-off, a plan outside the policy's limits.
    Keyed by `step` (the ladder step's key, or `write-off-N`, `plan-<command id>`)."""

    step: str
    level: int  # index into the policy's approver levels: who is asked now (escalation raises it)
    requested_at: datetime  # at this level
    state: Literal["pending", "approved", "rejected"] = "pending"
    decided_by: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None
    needed: int = 0  # index of the lowest level that may decide (the approval matrix; rules 3)
    subject: str = ""  # what is approved: the step's action, "write_off" or "installment_plan"
    requested_by: str = "system"  # who asked: may not decide it (four eyes)
    about: str = ""  # what the approver reads: the write-off's reason, the plan's terms and why it needs approval
    plan: AgreeInstallmentPlan | None = None  # the plan that takes effect when approved


class Bankruptcy(BaseModel):
    reported_by: str
    reported_at: datetime
    case_reference: str = ""
    note: str = ""


class ContactMade(BaseModel):
    """One contact counted against the caps: a message sent, a call or visit a person made (before rules 3: a call or
    visit task given, too)."""

    at: datetime
    channel: str  # sms | email | call | visit
    conversation: bool = False  # the debtor was reached and spoke with us


class ContactRecord(BaseModel):
    """A call or visit a person made, or the debtor's answer to the balance confirmation letter (`confirmation`), as
    evidence: the workflow writes it to the store's contact log (`logged`)."""

    record_id: str  # the record_contact (or confirm_balance) command's id
    channel: Literal["call", "visit", "confirmation"]
    result: str
    at: datetime
    by: str
    duration_minutes: int | None = None
    notes: str = ""
    agreed: str = ""
    evidence_ref: str | None = None
    task: str | None = None
    logged: bool = False


class LetterRecord(BaseModel):
    """A letter sent, followed to its delivery (rules 6): queued in the print room, in transit under its tracking
    number, then delivered (with the courier's proof) or returned (with the reason)."""

    step: str
    sent_at: datetime
    status: Literal["queued", "in_transit", "presumed", "delivered", "returned"] = "queued"
    tracking: str | None = None
    posted_at: datetime | None = None
    at: datetime | None = Field(default=None, description="when it was delivered or returned")
    proof_ref: str | None = None
    reason: str | None = None


class Agreement(BaseModel):
    """A written repayment agreement 還款協議 (rules 8): sent for signature, its signed copy's return recorded."""

    agreement_id: str  # agreement-<plan or promise id>
    about: Literal["installment_plan", "promise"]
    ref: str  # the plan's or the promise's id
    created_at: datetime
    state: Literal["awaiting_signature", "signed"] = "awaiting_signature"
    signed_on: date | None = None
    evidence_ref: str | None = None  # the signed scan's reference
    recorded_by: str | None = None


class FirmAnswer(BaseModel):
    """A law firm's answer to the draft of a lawyer's letter (rules 7): issued by the lawyer named, or declined."""

    step: str
    answer: Literal["issued", "declined"]
    lawyer: str | None = None
    licence: str | None = None
    issued_on: date | None = None
    firm_reference: str | None = None
    reason: str | None = None
    by: str
    at: datetime


class WorkItem(BaseModel):
    """A task given to a person (a call, a visit, an escalation...), followed until it is done: overdue, it is
    escalated along the policy's chain; a step that awaits its result holds the ladder (rules 3)."""

    key: str  # the step that gave it
    kind: str  # the store's task kind (domain.kinds)
    given_at: datetime
    due_at: datetime
    state: Literal["open", "done", "superseded"] = "open"  # superseded: a newer task of its kind replaced it (4)
    done_by: str | None = None
    done_at: datetime | None = None
    outcome: str | None = None


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


class CaseLink(BaseModel):
    """The account's legal case, run by a workflow of its own (rules 10): where it stands, as the case last told."""

    case_id: str
    workflow_id: str
    stage: str = "filing"
    next_deadline: date | None = None
    next_step: str = ""
    closed: bool = False


class DebtorConflict(BaseModel):
    """A joining invoice's debtor differs from the account's: kept as it was, for a supervisor to decide."""

    event_id: str
    field: str
    kept: str | None
    offered: str | None
    at: datetime
