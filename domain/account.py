"""The account as the workflow holds it: invoices, payments, what was done and why. Pure data + rules."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.actions import Balance, InvoiceLine
from domain.arrangements import Approval, Bankruptcy, ContactMade, Dispute, InstallmentPlan, PauseRecord, Promise
from domain.events import Debtor, InvoiceOverdue, PaymentReceived
from domain.policy import WINDOW_OF_ACTION, ActionKind, Policy

EventOutcome = Literal["started", "joined", "duplicate"]
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
]


class InvoiceState(BaseModel):
    invoice_id: str
    amount: Decimal
    currency: str
    due_date: date
    contract_ref: str | None = None
    paid: Decimal = Decimal(0)

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid

    def line(self) -> InvoiceLine:
        return InvoiceLine(
            invoice_id=self.invoice_id,
            contract_ref=self.contract_ref,
            amount=self.amount,
            outstanding=self.outstanding,
            currency=self.currency,
            due_date=self.due_date,
        )


class PaymentRecord(BaseModel):
    payment_id: str
    amount: Decimal
    currency: str
    received_at: datetime
    unapplied: Decimal = Field(default=Decimal(0), description="more than the open balance in this currency")


class HistoryEntry(BaseModel):
    at: datetime
    kind: HistoryKind
    detail: str
    step: str | None = None
    day: int | None = None
    idempotency_key: str | None = None


class AccountState(BaseModel):
    """Everything the workflow knows. Carried whole through continue-as-new; never holds a wall-clock default."""

    workflow_id: str
    account_id: str
    policy: Policy
    debtor: Debtor | None = None
    episode: str | None = Field(default=None, description="event id that opened this run; part of every key")
    opened_at: datetime | None = None
    opened_day: date | None = Field(default=None, description="debtor-local day of the opening event")
    invoices: list[InvoiceState] = []
    payments: list[PaymentRecord] = []
    events: dict[str, EventOutcome] = {}
    handled: dict[str, StepResult] = {}
    history: list[HistoryEntry] = []
    outcome: str | None = None
    closed_at: datetime | None = None

    # Re-routing (domain/rerouting.py changes these; the planner reads them).
    commands: dict[str, str] = Field(default={}, description="command id -> what it was: idempotency")
    promises: list[Promise] = []
    plan: InstallmentPlan | None = None
    disputes: list[Dispute] = []
    pauses: list[PauseRecord] = []
    approvals: dict[str, Approval] = {}
    failures: dict[str, int] = Field(default={}, description="consecutive failed contacts per channel")
    lost_contact: datetime | None = Field(default=None, description="since when phone and email both fail")
    skip_traces: int = 0
    bankruptcy: Bankruptcy | None = None
    write_off: str | None = None
    with_legal_since: datetime | None = None
    legal_outcome: str | None = None
    cancelled: Decimal = Decimal(0)
    shift_days: int = Field(default=0, description="ladder days added by holds, minus days skipped ahead")
    held_since: datetime | None = None
    stage_cap: str | None = Field(default=None, description="the ladder goes no further than this stage")
    cease_communication: str | None = Field(default=None, description="the debtor asked us to stop contacting")
    contacts: list[ContactMade] = Field(default=[], description="what the caps count")
    limitation_override: str | None = Field(default=None, description="a supervisor's reason to sue a time-barred debt")
    deferred: dict[str, datetime] = Field(default={}, description="step -> the moment it was deferred to")

    def note_deferral(self, now: datetime, step: str, until: datetime, reason: str) -> None:
        """Say once, in the history, that a step waits for its contact window, and until when."""
        if self.deferred.get(step) != until:
            self.deferred[step] = until
            self.log(now, "deferred", f"{step} {reason}; planned for {until.isoformat()}", step=step)

    # --- facts ---

    def unpaid(self) -> list[InvoiceState]:
        return [i for i in self.invoices if i.outstanding > 0]

    def disputed_ids(self) -> set[str] | None:
        """Invoice ids under an open dispute; None when a dispute covers the whole balance."""
        ids: set[str] = set()
        for dispute in self.disputes:
            if dispute.state == "open":
                if not dispute.invoice_ids:
                    return None
                ids.update(dispute.invoice_ids)
        return ids

    def collectible(self) -> list[InvoiceState]:
        """Unpaid invoices we may pursue: not under an open dispute."""
        disputed = self.disputed_ids()
        if disputed is None:
            return []
        return [i for i in self.unpaid() if i.invoice_id not in disputed]

    def total_paid(self) -> Decimal:
        return sum((p.amount - p.unapplied for p in self.payments), Decimal(0))

    def open_promise(self) -> Promise | None:
        return next((p for p in self.promises if p.state == "open"), None)

    def active_pause(self) -> PauseRecord | None:
        return next((p for p in self.pauses if p.ended_at is None), None)

    def balances(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = {}
        for invoice in self.unpaid():
            totals[invoice.currency] = totals.get(invoice.currency, Decimal(0)) + invoice.outstanding
        return totals

    def balance_lines(self) -> list[Balance]:
        return [Balance(currency=c, amount=a) for c, a in sorted(self.balances().items())]

    def oldest_due_date(self) -> date | None:
        return min((i.due_date for i in self.unpaid()), default=None)

    def oldest_collectible_due_date(self) -> date | None:
        return min((i.due_date for i in self.collectible()), default=None)

    def idempotency_key(self, step_key: str) -> str:
        return f"{self.workflow_id}/{self.episode}/{step_key}"

    # --- changes (each records itself in the history) ---

    def add_invoice(self, event: InvoiceOverdue, now: datetime) -> EventOutcome:
        """Apply an `invoice_overdue` event; duplicates (event id or invoice id) change nothing."""
        if event.event_id in self.events:
            # Answer "duplicate" from now on: the starter's query follows this re-delivery.
            self.events[event.event_id] = "duplicate"
            self.log(now, "duplicate", f"event {event.event_id} delivered again: ignored")
            return "duplicate"
        known = next((i for i in self.invoices if i.invoice_id == event.invoice.invoice_id), None)
        if known is not None:
            self.events[event.event_id] = "duplicate"
            self.log(now, "duplicate", f"event {event.event_id}: invoice {known.invoice_id} already on the account")
            return "duplicate"
        outcome: EventOutcome = "joined" if self.invoices else "started"
        if outcome == "started":
            self.episode = event.event_id
            self.opened_at = now
            self.opened_day = event.occurred_at.astimezone(ZoneInfo(event.debtor.timezone)).date()
        self.debtor = event.debtor
        invoice = event.invoice
        self.invoices.append(
            InvoiceState(
                invoice_id=invoice.invoice_id,
                amount=invoice.amount,
                currency=invoice.currency,
                due_date=invoice.due_date,
                contract_ref=invoice.contract_ref,
            )
        )
        self.events[event.event_id] = outcome
        self.log(
            now,
            "invoice",
            f"{outcome}: invoice {invoice.invoice_id} {invoice.amount} {invoice.currency} due {invoice.due_date}"
            f" (event {event.event_id})",
        )
        return outcome

    def add_payment(self, payment: PaymentReceived, now: datetime) -> bool:
        """Allocate a payment to the oldest unpaid invoices of its currency. False if already applied."""
        if any(p.payment_id == payment.payment_id for p in self.payments):
            return False
        left = payment.amount
        for invoice in sorted(self.unpaid(), key=lambda i: (i.due_date, i.invoice_id)):
            if invoice.currency == payment.currency and left > 0:
                applied = min(left, invoice.outstanding)
                invoice.paid += applied
                left -= applied
        self.payments.append(
            PaymentRecord(
                payment_id=payment.payment_id,
                amount=payment.amount,
                currency=payment.currency,
                received_at=payment.received_at,
                unapplied=left,
            )
        )
        note = f"; {left} {payment.currency} unapplied (no open balance in {payment.currency})" if left else ""
        balance = ", ".join(f"{v} {c}" for c, v in self.balances().items()) or "nothing"
        self.log(
            now,
            "payment",
            f"payment {payment.payment_id}: {payment.amount} {payment.currency}{note}; outstanding {balance}",
        )
        return True

    def record_step(
        self,
        now: datetime,
        step_key: str,
        result: StepResult,
        detail: str,
        day: int,
        key: str | None = None,
        action: ActionKind | None = None,
    ) -> None:
        self.handled[step_key] = result
        if result == "done" and action in WINDOW_OF_ACTION:
            self.contacts.append(ContactMade(at=now, channel=WINDOW_OF_ACTION[action]))
        step = next((s for s in self.policy.steps if s.key == step_key), None)
        if result == "done" and step is not None and step.hands_to_legal:
            self.with_legal_since = now
        kind: HistoryKind = "action" if result == "done" else result
        self.log(now, kind, detail, step=step_key, day=day, idempotency_key=key)

    def close(self, now: datetime, outcome: str, reason: str) -> None:
        self.outcome = outcome
        self.closed_at = now
        self.log(now, "closed", f"{outcome}: {reason}")

    def log(self, now: datetime, kind: HistoryKind, detail: str, **extra: object) -> None:
        self.history.append(HistoryEntry(at=now, kind=kind, detail=detail, **extra))
