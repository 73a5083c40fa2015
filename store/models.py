"""The system of record: the tables the workers write and the legal team and supervisors read.

Money is `Money` (NUMERIC(18, 4), Decimal in and out) and every instant is `UTCDateTime` (aware, UTC), so rows
read the same on SQLite and PostgreSQL. Constraint names come from one naming convention, so migrations can
refer to them on both databases.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.authority import LEVELS
from domain.people import ROLES
from store.types import Money, UTCDateTime

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MESSAGE_KINDS = ("sms", "email", "letter", "task")
MESSAGE_STATUSES = ("pending", "sent", "failed")
TASK_STATES = ("open", "done", "cancelled")
CASE_STATES = ("open", "accepted", "closed")
# Who works here (the `staff` table). Leads decide approvals; an approval level is a lead's only, by default their
# role's (store/staff.py). The levels are the policies' approver levels, lowest first.
STAFF_ROLES = ROLES  # domain.people
APPROVAL_LEVELS = LEVELS  # domain.authority


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(name: str, column: str, values: tuple[str, ...]) -> CheckConstraint:
    """A CHECK that keeps a status column to its known values, whatever client writes the row."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=name)


def money(**kwargs: Any) -> Any:
    return Field(sa_type=Money, **kwargs)


def instant(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def long_text(**kwargs: Any) -> Any:
    return Field(sa_type=Text, **kwargs)


class Account(SQLModel, table=True):
    __tablename__ = "account"

    account_id: str = Field(primary_key=True)
    workflow_id: str
    debtor_name: str
    phone: str | None = None
    email: str | None = None
    timezone: str
    locale: str
    segment: str
    policy: str
    updated_at: datetime = instant(default_factory=utcnow)
    owner: str | None = Field(default=None, index=True)  # the collector who owns it (a staff username)
    team: str | None = None


class Invoice(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("account_id", "invoice_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.account_id", index=True)
    invoice_id: str
    amount: Decimal = money()
    currency: str
    due_date: date
    contract_ref: str | None = None


class Payment(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = (UniqueConstraint("account_id", "payment_id"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(foreign_key="account.account_id", index=True)
    payment_id: str
    amount: Decimal = money()
    currency: str
    received_at: datetime = instant()


class Document(SQLModel, table=True):
    """A rendered letter, bytes included, so an evidence package can be rebuilt from the database alone."""

    __tablename__ = "document"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    idempotency_key: str = Field(unique=True)
    kind: str = "letter"
    filename: str
    content_type: str
    sha256: str
    size: int
    content: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = instant(default_factory=utcnow)


class Message(SQLModel, table=True):
    """The outbox: one row per idempotency key, reserved before sending, so a retry never sends twice."""

    __tablename__ = "message"
    __table_args__ = (
        one_of("kind", "kind", MESSAGE_KINDS),
        one_of("status", "status", MESSAGE_STATUSES),
    )

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True)
    account_id: str = Field(index=True)
    kind: str
    action: str
    step: str
    channel: str
    recipient: str
    subject: str | None = None
    body_text: str | None = long_text(default=None)
    body_html: str | None = long_text(default=None)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    status: str = "pending"
    provider_reference: str | None = None
    attempts: int = 0
    error: str | None = long_text(default=None)
    created_at: datetime = instant(default_factory=utcnow)
    sent_at: datetime | None = instant(default=None)


class ContactLog(SQLModel, table=True):
    """Every contact attempt and decision, as evidence. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "contact_log"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    at_utc: datetime = instant()
    at_local: str  # ISO 8601 with the debtor's offset: what the debtor's clock showed
    channel: str
    action: str
    step: str | None = None
    template: str | None = None
    template_version: str | None = None
    content_sha256: str | None = None
    idempotency_key: str | None = Field(default=None, index=True)
    result: str  # attempt, sent, failed, skipped, decision, handoff; a call's or visit's result
    detail: str | None = long_text(default=None)
    document_id: int | None = Field(default=None, foreign_key="document.id")
    by: str | None = None  # who made a call or visit
    duration_minutes: int | None = None
    evidence_ref: str | None = None  # the recording's or photo's reference


class Task(SQLModel, table=True):
    """A person's work item: given to a role's pool (and a team), held by one person once assigned or claimed."""

    __tablename__ = "task"
    __table_args__ = (one_of("state", "state", TASK_STATES),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True)
    account_id: str = Field(index=True)
    kind: str  # collector_call, manager_escalation, approval_request, litigation, ...
    assignee_role: str
    summary: str
    body: str | None = long_text(default=None)
    due_at: datetime | None = instant(default=None)
    state: str = Field(default="open", index=True)
    created_at: datetime = instant(default_factory=utcnow)
    step: str | None = None  # the step that gave it: what `complete_task` and `record_contact` name
    assignee: str | None = Field(default=None, index=True)  # the person holding it (None: the pool's)
    team: str | None = Field(default=None, index=True)
    priority: float | None = None  # higher first (api/tasks: the score)
    claimed_at: datetime | None = instant(default=None)
    closed_at: datetime | None = instant(default=None)
    closed_by: str | None = None
    outcome: str | None = long_text(default=None)


class LegalCase(SQLModel, table=True):
    """A case handed to the legal team: open, accepted by a lawyer, closed with one outcome."""

    __tablename__ = "legal_case"
    __table_args__ = (one_of("state", "state", CASE_STATES),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(unique=True)
    account_id: str = Field(index=True)
    workflow_id: str
    opened_at: datetime = instant()
    reason: str = long_text()
    state: str = "open"
    accepted_by: str | None = None
    accepted_at: datetime | None = instant(default=None)
    outcome: str | None = None
    outcome_note: str | None = long_text(default=None)
    outcome_by: str | None = None
    outcome_at: datetime | None = instant(default=None)
    package: str | None = long_text(default=None)  # the evidence package, as JSON text
    package_sha256: str | None = None
    # From rules 10 the case runs as a workflow of its own (domain.legal_proceedings), which keeps these current.
    case_workflow_id: str | None = None
    stage: str | None = None
    next_deadline: datetime | None = instant(default=None)
    next_step: str | None = long_text(default=None)
    history: str | None = long_text(default=None)  # the case's steps, as JSON text


class AgencyPlacement(SQLModel, table=True):
    """An account placed with a collection agency (domain.agencies.Placement), as its workflow last recorded it."""

    __tablename__ = "agency_placement"

    id: int | None = Field(default=None, primary_key=True)
    placement_id: str = Field(unique=True)
    account_id: str = Field(index=True)
    agency_id: str = Field(index=True)
    placed_at: datetime = instant()
    days_past_due: int
    placed_amount: Decimal = money()
    currency: str
    rate: Decimal = money()
    collected: Decimal = money()
    commission: Decimal = money()
    first_report_at: datetime | None = instant(default=None)
    last_result_at: datetime | None = instant(default=None)
    recalled_at: datetime | None = instant(default=None)
    recall_reason: str | None = long_text(default=None)
    complaints: str | None = long_text(default=None)  # JSON list


class AgencyPayment(SQLModel, table=True):
    """A payment on an account while placed, and the agency's commission on it: the monthly statement's lines."""

    __tablename__ = "agency_payment"
    __table_args__ = (UniqueConstraint("placement_id", "paid_at", "amount"),)

    id: int | None = Field(default=None, primary_key=True)
    placement_id: str = Field(index=True)
    agency_id: str = Field(index=True)
    account_id: str
    paid_at: datetime = instant()
    amount: Decimal = money()
    currency: str
    rate: Decimal = money()
    commission: Decimal = money()


class Staff(SQLModel, table=True):
    """A person who acts on accounts. Their key proves who they are, and their username is the `by` that account
    histories, legal cases and approvals record."""

    __tablename__ = "staff"
    __table_args__ = (
        one_of("role", "role", STAFF_ROLES),
        one_of("approval_level", "approval_level", APPROVAL_LEVELS),
    )

    username: str = Field(primary_key=True)
    full_name: str
    role: str
    team: str | None = None
    approval_level: str | None = None
    active: bool = True
    created_at: datetime = instant(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    """A person's key, shown once as `ck_<key_id>_<secret>`: only the secret's SHA-256 is kept."""

    __tablename__ = "api_key"

    key_id: str = Field(primary_key=True)
    username: str = Field(foreign_key="staff.username", index=True)
    secret_sha256: str
    created_at: datetime = instant(default_factory=utcnow)
    revoked_at: datetime | None = instant(default=None)
    last_used_at: datetime | None = instant(default=None)


class AccountFact(SQLModel, table=True):
    """What an account did that the KPIs count (domain.facts): placed, paid, promised, kept, stage entered, closed...
    Written by its workflow, once per account and key, never changed: a projection insight/kpis.py reads."""

    __tablename__ = "account_fact"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = Field(index=True)
    key: str
    kind: str = Field(index=True)
    at: datetime = instant(index=True)
    amount: Decimal | None = money(default=None)
    currency: str | None = None
    stage: str
    segment: str
    policy: str
    arm: str | None = Field(default=None, index=True)  # the experiment arm the account was assigned (arms.py)
    detail: str | None = long_text(default=None)


class AgingSnapshot(SQLModel, table=True):
    """One open account as the month's aging snapshot saw it (workflows/snapshot.py, on the 1st for the month just
    ended): what the trend, the roll rates and the early warnings read."""

    __tablename__ = "aging_snapshot"
    __table_args__ = (UniqueConstraint("month", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(index=True)  # YYYY-MM: the month that ended
    taken_at: datetime = instant()
    account_id: str
    stage: str
    bucket: str
    days_past_due: int | None = None
    outstanding: Decimal = money()
    currency: str
    segment: str
    arm: str | None = None
    owner: str | None = None
    team: str | None = None
