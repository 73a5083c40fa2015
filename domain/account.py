"""The account as the workflow holds it: invoices, payments, what was done and why. Pure data + rules."""

from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BaseModel, Field
from pydantic_core import to_json

from domain.actions import Balance, InvoiceLine
from domain.agencies import Placement
from domain.agency_reports import PlacedPayment
from domain.arrangements import (
    Agreement,
    Approval,
    Bankruptcy,
    CaseLink,
    Charge,
    ContactMade,
    ContactRecord,
    DebtorConflict,
    Dispute,
    FirmAnswer,
    InstallmentPlan,
    LetterRecord,
    Migration,
    PauseRecord,
    Promise,
    WorkItem,
)
from domain.bounds import MAX_LISTED_REPEATS, STATE_BUDGET, check_happened
from domain.commands import digest
from domain.events import Debtor, InvoiceEvent, PaymentReceived
from domain.kinds import KINDS, WINDOW_OF_ACTION, WORK, ActionKind
from domain.ledger import HistoryEntry, HistoryKind, InvoiceState, PaymentRecord, StepResult
from domain.money import Debt, allocate, to_minor
from domain.policy import Policy, Step
from domain.settlements import Settlement
from domain.timeline import Timeline

# What became of an event: an invoice started or joined the account, or was already on it (`known`); a billing event
# (invoice.paid, invoice.cancelled) `applied`; a repeat of an event id (`duplicate`); refused (`rejected`).
EventOutcome = Literal["started", "joined", "known", "duplicate", "applied", "rejected"]
# Rules that change what a running account does are versioned, so that an account replays as it was recorded:
# 0: before issue 13; 1: the ladder's day and stage stand still during a hold, and money that paid nothing is a
# supervisor's task before the account closes; 2: the public holidays are those of the phone's country when the
# debtor names none (before: the timezone's); 3: approvals go to the level the policy's matrix names, a write-off and
# a plan outside the policy's limits wait for approval, people's tasks are followed until done (escalated when
# overdue, awaited where a step says so), and the caps count the calls and visits people make instead of the tasks
# given; 4: a step marked `required` is never skipped as late and no later debtor contact overtakes it, a step
# `after` another waits `after_days` after it, the ladder makes at most `ladder_contacts_per_day` debtor contacts a
# day, letters keep office hours, a step waiting for its window no longer holds back later due steps, and a pre-due
# step is not recorded for an account first seen overdue; 5: a letter needs the debtor's postal address (skipped
# without one); 6: a written demand restarts the limitation period when it is delivered (or presumed delivered, where
# the policy says so), not when it is sent; 7: a lawyer's letter is drafted for the creditor's law firm and goes out
# under the firm's name once the firm confirms it issued it (domain.lawyer_letters). New accounts take the latest (the
# workflow sets it, under a patch); 8: an installment plan, and a promise at or above the policy's threshold, produce
# a written repayment agreement sent for signature, chased when unsigned; its signature restarts the limitation period
# (domain.agreements); 9: a returned letter is a failure of the postal channel, and with contact lost on phone and
# email it stops letters too, until new details (domain.pacing.unreachable_by_post); 10: the litigation step starts
# the legal case as a workflow of its own (workflows.legal_case), and the account stays open while it runs.
RULES = 10
FILLABLE = ("phone", "email", "country", "address")  # what a joining invoice may add to a debtor that lacks it
REPEATS = ("duplicate", "refused")  # history kinds a sender can repeat at will
ACCOUNT_FULL = (
    "the account holds as much as one account may (see STATE_BUDGET in domain/bounds.py); a supervisor decides "
    "(write it off, or settle it and open a new account)"
)


class AccountState(BaseModel):
    """Everything the workflow knows. Carried whole through continue-as-new; never holds a wall-clock default."""

    workflow_id: str
    account_id: str
    policy: Policy
    debtor: Debtor | None = None
    creditor: str | None = Field(default=None, description="the creditor profile named by its invoices, if any")
    letters: dict[str, LetterRecord] = Field(default={}, description="letters sent, by step, and their delivery")
    settlements: list[Settlement] = Field(default=[], description="settlement offers, latest last")
    agreements: list[Agreement] = Field(default=[], description="written repayment agreements (rules 8)")
    lawyer_letters: dict[str, FirmAnswer] = Field(default={}, description="law firms' answers, by step (rules 7)")
    episode: str | None = Field(default=None, description="event id that opened this run; part of every key")
    opened_at: datetime | None = None
    opened_day: date | None = Field(default=None, description="debtor-local day of the opening event")
    invoices: list[InvoiceState] = []
    payments: list[PaymentRecord] = []
    charges: list[Charge] = []
    events: dict[str, EventOutcome] = {}
    event_digests: dict[str, str] = Field(default={}, description="event id -> what it said: tells a conflict")
    event_refusals: dict[str, str] = Field(default={}, description="billing event id -> why it was refused")
    handled: dict[str, StepResult] = {}
    history: list[HistoryEntry] = []
    outcome: str | None = None
    closed_at: datetime | None = None

    # Re-routing (domain/rerouting/ changes these; the planner reads them).
    commands: dict[str, str] = Field(default={}, description="command id -> what it was: idempotency")
    digests: dict[str, str] = Field(default={}, description="command id -> what it said: tells a conflict")
    promises: list[Promise] = []
    installment_plan: InstallmentPlan | None = Field(
        default=None,
        validation_alias=AliasChoices("installment_plan", "plan"),  # `plan` in states recorded before the rename
    )
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
    legal_case: CaseLink | None = Field(default=None, description="the case's workflow (rules 10)")
    placements: list[Placement] = Field(default=[], description="placements with collection agencies, latest last")
    placement_requests: dict[str, str] = Field(default={}, description="approval key -> the agency asked for")
    agency_payments: list[PlacedPayment] = Field(default=[], description="payments while placed, with commission")
    cancelled: Decimal = Decimal(0)
    shift_days: int = Field(default=0, description="ladder days added by holds, minus days skipped ahead")
    held_since: datetime | None = None
    rules: int = Field(default=0, description="which version of the rules the account was opened under (RULES)")
    stage_cap: str | None = Field(default=None, description="the ladder goes no further than this stage")
    cease_communication: str | None = Field(default=None, description="the debtor asked us to stop contacting")
    contacts: list[ContactMade] = Field(default=[], description="what the caps count")
    limitation_override: str | None = Field(default=None, description="a supervisor's reason to sue a time-barred debt")
    deferred: dict[str, datetime] = Field(default={}, description="step -> the moment it was deferred to")
    migrations: list[Migration] = []
    debtor_conflicts: list[DebtorConflict] = Field(default=[], description="joining invoices' differing debtors")
    generation: int = Field(default=0, description="ladder restarts by policy migration: part of new keys")
    unlisted: dict[str, int] = Field(default={}, description="repeats not itemised in the history, by kind")
    work: dict[str, WorkItem] = Field(default={}, description="people's tasks by the step that gave them (rules 3)")
    contact_records: list[ContactRecord] = Field(default=[], description="calls and visits people made (rules 3)")
    arm: str | None = Field(default=None, description="the experiment arm it was assigned at its start (arms.py)")

    def note_deferral(self, now: datetime, step: str, until: datetime, reason: str) -> None:
        """Say once, in the history, that a step waits for its contact window, and until when."""
        if self.deferred.get(step) != until:
            self.deferred[step] = until
            self.log(now, "deferred", f"{step} {reason}; planned for {until.isoformat()}", step=step)

    # --- facts ---

    def clock(self) -> Timeline:
        assert self.debtor and self.opened_at and self.opened_day, "account has no invoice yet"
        return Timeline(self.policy, self.debtor.timezone, self.opened_at, self.opened_day)

    def interest_terms(self) -> str:
        """The late-interest terms in force: the policy's, or each contract's own where an invoice states one."""
        rules = self.policy.money.interest
        terms = sorted({rules.describe(i.interest_terms) for i in self.invoices}) or [rules.describe()]
        return "; ".join(t for t in terms if t != "none" or len(terms) == 1)

    def interest_frozen(self) -> bool:
        """No interest while an installment plan is in force or a bankruptcy stands."""
        return self.bankruptcy is not None or (
            self.installment_plan is not None and self.installment_plan.state == "active"
        )

    def accrue(self, now: datetime) -> None:
        """Bring every invoice's interest up to today. Call before anything that changes the principal owed or
        whether interest runs, so each stretch of days accrues on the principal owed during it."""
        if not self.invoices or self.outcome is not None:
            return
        today, frozen = self.clock().local_day(now), self.interest_frozen()
        for invoice in self.invoices:
            invoice.accrue(today, frozen)

    def unpaid(self) -> list[InvoiceState]:
        """Invoices that still owe principal or interest."""
        return [i for i in self.invoices if i.owes()]

    def owed_charges(self) -> list[Charge]:
        return [c for c in self.charges if c.owed > 0]

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

    def unapplied(self) -> dict[str, Decimal]:
        """Money received that paid nothing, per currency: another currency than the debts', or more than owed."""
        totals: dict[str, Decimal] = {}
        for payment in self.payments:
            if payment.unapplied:
                totals[payment.currency] = totals.get(payment.currency, Decimal(0)) + payment.unapplied
        return totals

    def total_paid(self) -> Decimal:
        return sum((p.amount - p.unapplied for p in self.payments), Decimal(0))

    def open_promise(self) -> Promise | None:
        return next((p for p in self.promises if p.state == "open"), None)

    def active_pause(self) -> PauseRecord | None:
        return next((p for p in self.pauses if p.ended_at is None), None)

    def invoice_lines(self, now: datetime, invoices: list[InvoiceState] | None = None) -> list[InvoiceLine]:
        day, frozen = self._interest_day(now)
        return [i.line(day, frozen) for i in (self.invoices if invoices is None else invoices)]

    def balance_lines(self, now: datetime) -> list[Balance]:
        """What is owed in each currency, as of `now`: principal, interest and fees."""
        parts: dict[str, list[Decimal]] = {}
        for line in self.invoice_lines(now):
            if line.outstanding or line.interest:
                entry = parts.setdefault(line.currency, [Decimal(0)] * 3)
                entry[0] += line.outstanding
                entry[1] += line.interest
        for charge in self.owed_charges():
            parts.setdefault(charge.currency, [Decimal(0)] * 3)[2] += charge.owed
        return [
            Balance(currency=c, amount=to_minor(sum(p, Decimal(0)), c), principal=to_minor(p[0], c),
                    interest=to_minor(p[1], c), fees=to_minor(p[2], c))
            for c, p in sorted(parts.items())
        ]  # fmt: skip

    def balances(self, now: datetime) -> dict[str, Decimal]:
        return {b.currency: b.amount for b in self.balance_lines(now)}

    def _interest_day(self, now: datetime) -> tuple[date | None, bool]:
        if not self.invoices or self.outcome is not None:
            return None, True
        return self.clock().local_day(now), self.interest_frozen()

    def oldest_due_date(self) -> date | None:
        return min((i.due_date for i in self.unpaid()), default=None)

    def oldest_collectible_due_date(self) -> date | None:
        return min((i.due_date for i in self.collectible()), default=None)

    def idempotency_key(self, step_key: str) -> str:
        restart = f"/r{self.generation}" if self.generation else ""  # a restarted ladder sends its steps again
        return f"{self.workflow_id}/{self.episode}{restart}/{step_key}"

    def event_conflict(self, event_id: str, said: str) -> bool:
        """Whether `event_id` was already used for an event that said something else (domain.commands.digest)."""
        return self.event_digests.get(event_id, said) != said

    def full(self) -> bool:
        """Whether the account holds as much as one account may (domain.bounds.STATE_BUDGET): then it takes no
        new invoice, payment or command, and says so in its history."""
        return len(to_json(self)) > STATE_BUDGET  # bytes, as the payload converter writes them

    def refuse_when_full(self, now: datetime, what: str) -> bool:
        if self.full():
            self.log(now, "refused", f"{what} refused: {ACCOUNT_FULL}")
            return True
        return False

    # --- changes (each records itself in the history) ---

    def repeated_event(self, event_id: str, said: str, now: datetime) -> EventOutcome | None:
        """What an event id seen before comes to (None: a new one). Delivered again, it changes nothing
        (`duplicate`, or `rejected` again when it was refused); used for a different event (`said` is its digest),
        it is refused (`event_conflict` tells the sender)."""
        if event_id not in self.events:
            return None
        if self.event_conflict(event_id, said):
            self.log(now, "refused", f"event {event_id} refused: that id was already used for a different event")
            return "rejected"
        if self.events[event_id] != "rejected":
            self.events[event_id] = "duplicate"  # from now on: the sender's query follows this re-delivery
        self.log(now, "duplicate", f"event {event_id} delivered again: ignored")
        return self.events[event_id]

    def remember_event(self, event_id: str, said: str, outcome: EventOutcome, now: datetime, refusal: str = "") -> None:
        """What became of a new event, for its sender's query and its repeats. One that changed nothing (`known`, or
        refused for `refusal`) is not remembered by a full account: its repeat comes to the same."""
        if refusal:
            self.log(now, "refused", f"event {event_id} refused: {refusal}")
        if outcome in ("known", "rejected") and self.full():
            return
        self.events[event_id], self.event_digests[event_id] = outcome, said
        if refusal:
            self.event_refusals[event_id] = refusal

    def add_invoice(self, event: InvoiceEvent, now: datetime) -> EventOutcome:
        """Apply an invoice event (`invoice.overdue`, `invoice.issued`, `invoice.due_soon`): the first starts the
        account, others join it. An invoice already on the account changes nothing (`known`), nor does an event id
        delivered again (`duplicate`); an event id already used for a different event is refused."""
        said = digest(event)
        repeated = self.repeated_event(event.event_id, said, now)
        if repeated is not None:
            return repeated
        known = next((i for i in self.invoices if i.invoice_id == event.invoice.invoice_id), None)
        if known is not None:
            self.remember_event(event.event_id, said, "known", now)
            self.log(now, "duplicate", f"event {event.event_id} ({event.type}): invoice {known.invoice_id} already on "
                     "the account: nothing to do")  # fmt: skip
            return "known"
        if self.refuse_when_full(now, f"event {event.event_id} (invoice {event.invoice.invoice_id})"):
            return "rejected"
        owed_to, collecting = event.invoice.creditor, self.creditor_id()
        if self.invoices and owed_to and collecting and owed_to != collecting:
            refusal = (f"invoice {event.invoice.invoice_id} is owed to {owed_to}, and this account collects for "
                       f"{collecting}: send it under another account id")  # fmt: skip
            self.remember_event(event.event_id, said, "rejected", now, refusal)
            return "rejected"
        self.creditor = self.creditor or owed_to
        outcome: EventOutcome = "joined" if self.invoices else "started"
        if outcome == "started":
            self.episode = event.event_id
            self.opened_at = now
            self.opened_day = event.occurred_at.astimezone(ZoneInfo(event.debtor.timezone)).date()
        if outcome == "started":
            self.debtor = event.debtor
        else:
            self._join_debtor(event, now)
        invoice, interest = event.invoice, self.policy.money.interest
        self.invoices.append(
            InvoiceState(
                invoice_id=invoice.invoice_id,
                amount=invoice.amount,
                currency=invoice.currency,
                due_date=invoice.due_date,
                contract_ref=invoice.contract_ref,
                interest_terms=invoice.interest,
                daily_rate=interest.daily(invoice.interest),
                interest_cap=None
                if interest.max_ratio is None
                else to_minor(invoice.amount * interest.max_ratio, invoice.currency, ROUND_DOWN),
                accrued_to=invoice.due_date + timedelta(days=interest.grace_days),
            )
        )
        self.remember_event(event.event_id, said, outcome, now)
        self.log(
            now,
            "invoice",
            f"{outcome}: invoice {invoice.invoice_id} {invoice.amount} {invoice.currency} due {invoice.due_date}"
            f" (event {event.event_id})",
        )
        return outcome

    def creditor_id(self) -> str | None:
        """The creditor profile the account collects for: its invoices', else its policy's (None: the default)."""
        return self.creditor or self.policy.creditor

    def _join_debtor(self, event: InvoiceEvent, now: datetime) -> None:
        """A joining invoice may fill contact details the account lacks. Where it differs from the account (another
        name, phone, segment...), the account keeps its own and records the conflict for a supervisor: who is
        contacted, and under which policy, changes only by a command (`update_contact`), never silently."""
        assert self.debtor is not None
        kept, offered = dict(self.debtor), dict(event.debtor)
        filled = {k: v for k, v in offered.items() if k in FILLABLE and kept[k] is None and v is not None}
        if filled:
            self.debtor = self.debtor.model_copy(update=filled)
            details = ", ".join(f"{k} {v}" for k, v in filled.items())
            self.log(now, "event", f"event {event.event_id} filled the debtor's missing {details}")
        for field in sorted(k for k in kept if k not in filled and offered[k] is not None and offered[k] != kept[k]):
            self.debtor_conflicts.append(DebtorConflict(event_id=event.event_id, field=field, kept=str(kept[field]),
                                                        offered=str(offered[field]), at=now))  # fmt: skip
            self.log(now, "refused", f"event {event.event_id} gives the debtor's {field} as {str(offered[field])!r}, "
                     f"the account has {str(kept[field])!r}: kept, for a supervisor to decide")  # fmt: skip

    def add_payment(self, payment: PaymentReceived, now: datetime) -> bool:
        """Allocate a payment in the policy's order (default: fees, then interest, then principal; oldest
        first within each). False if already applied, or refused (a conflicting id, a date in the future)."""
        known = next((p for p in self.payments if p.payment_id == payment.payment_id), None)
        said = digest(payment)
        if known is not None:
            if known.digest not in (None, said):
                self.log(now, "refused", f"payment {payment.payment_id} of {payment.amount} {payment.currency} "
                         f"refused: that id was already used for {known.amount} {known.currency}")  # fmt: skip
            return False
        try:
            check_happened(payment, now)
        except ValueError as error:
            self.log(now, "refused", f"payment {payment.payment_id} refused: {error}")
            return False
        if self.refuse_when_full(now, f"payment {payment.payment_id} of {payment.amount} {payment.currency}"):
            return False
        self.accrue(now)
        self.charge_plan_interest(now)  # what fell due today is paid first
        invoices = [i for i in self.invoices if i.currency == payment.currency]
        charges = [c for c in self.owed_charges() if c.currency == payment.currency]
        self.apply_payment(payment, invoices, charges, now, said)
        return True

    def charge_plan_interest(self, now: datetime) -> None:
        """A plan's interest for an installment (seed 001: after the free ones) is owed from its due date, while there
        is principal left to bear it (paid off early, the later interest is never charged)."""
        plan = self.installment_plan
        if plan is None or plan.state != "active":
            return
        clock, charged = self.clock(), {c.charge_id for c in self.charges}
        owing = any(i.outstanding > 0 for i in self.invoices if i.currency == plan.currency)
        for term in plan.installments:
            charge_id = f"plan-{plan.plan_id}-{term.number}-interest"
            if term.interest and owing and charge_id not in charged and now >= clock.moment(term.due_date, 0):
                self.charges.append(Charge(charge_id=charge_id, stage="plan", currency=plan.currency,
                                           amount=term.interest, charged_at=now))  # fmt: skip

    def apply_payment(
        self, payment: PaymentReceived, invoices: list[InvoiceState], charges: list[Charge], now: datetime, said: str,
        source: str = "",
    ) -> None:  # fmt: skip
        """Allocate a payment (accrued already) to these invoices and charges in the policy's order (default: fees,
        then interest, then principal; oldest first within each), and record it. `source`: what it came from."""
        by_id = {i.invoice_id: i for i in invoices}
        by_charge = {c.charge_id: c for c in charges}
        oldest_first = sorted(invoices, key=lambda i: (i.due_date, i.invoice_id))
        debts = [Debt("costs", c.charge_id, c.owed) for c in charges]
        debts += [Debt("interest", i.invoice_id, i.interest_due()) for i in oldest_first]
        debts += [Debt("principal", i.invoice_id, i.outstanding) for i in oldest_first]
        order = self.policy.money.allocation
        offer = next((s for s in self.settlements if s.state == "offered" and s.currency == payment.currency), None)
        allocations, left = allocate(payment.amount, debts, offer.allocation(order) if offer else order)
        for a in allocations:
            if a.part == "costs":
                by_charge[a.target].paid += a.amount
            elif a.part == "interest":
                by_id[a.target].interest_paid += a.amount
            else:
                by_id[a.target].paid += a.amount
        self.payments.append(
            PaymentRecord(
                payment_id=payment.payment_id,
                amount=payment.amount,
                currency=payment.currency,
                received_at=payment.received_at,
                unapplied=left,
                allocations=allocations,
                digest=said,
            )
        )
        paid = ", ".join(f"{a.part} {a.target} {a.amount}" for a in allocations) or "nothing"
        note = f"; {left} {payment.currency} unapplied (no open balance in {payment.currency})" if left else ""
        balance = ", ".join(f"{v} {c}" for c, v in self.balances(now).items()) or "nothing"
        self.log(
            now,
            "payment",
            f"payment {payment.payment_id}{source}: {payment.amount} {payment.currency} paid {paid}{note}; "
            f"outstanding {balance}",
        )

    def charge_fee(self, now: datetime, charge_id: str, stage: str, currency: str, amount: Decimal) -> None:
        self.charges.append(Charge(charge_id=charge_id, stage=stage, currency=currency, amount=amount, charged_at=now))
        self.log(now, "fee", f"late fee {amount} {currency} for entering {stage} ({charge_id})")

    def record_step(
        self,
        now: datetime,
        step_key: str,
        result: StepResult,
        detail: str,
        day: int,
        key: str | None = None,
        action: ActionKind | None = None,
        tracking: str | None = None,
    ) -> None:
        self.handled[step_key] = result
        step = next((s for s in self.policy.steps if s.key == step_key), None)
        # From rules 3 a call or visit counts when a person makes it (record_contact), not when it is given.
        if result == "done" and action in WINDOW_OF_ACTION and (self.rules < 3 or KINDS[action].output != "task"):
            self.contacts.append(ContactMade(at=now, channel=WINDOW_OF_ACTION[action]))
        if result == "done" and action in WORK and self.rules >= 3:
            for item in self.superseded_by(action) if self.rules >= 4 else []:
                item.state, item.outcome = "superseded", f"superseded by {step_key}"
            self.work[step_key] = WorkItem(key=step_key, kind=KINDS[action].task or action.value, given_at=now,
                                           due_at=self.work_due(now, step))  # fmt: skip
        if result == "done" and action is not None and KINDS[action].output == "letter":
            # Posted through the courier's API (a tracking number): in transit at once; else queued for the mailroom.
            posted = {"status": "in_transit", "tracking": tracking, "posted_at": now} if tracking else {}
            self.letters[step_key] = LetterRecord.model_validate({"step": step_key, "sent_at": now, **posted})
        if result == "done" and step is not None and step.hands_to_legal:
            self.with_legal_since = now
        kind: HistoryKind = "action" if result == "done" else result
        self.log(now, kind, detail, step=step_key, day=day, idempotency_key=key)

    def superseded_by(self, action: ActionKind) -> list[WorkItem]:
        """The open tasks a new one of this kind replaces (rules 4): yesterday's call task when today's is given."""
        kind = KINDS[action].task or action.value
        return [item for item in self.work.values() if item.state == "open" and item.kind == kind]

    def work_due(self, now: datetime, step: Step | None) -> datetime:
        """When a person's task given now by `step` is due: its deadline (else the policy's `[work] due_days`) days
        on, at the policy's time of day in the debtor's timezone."""
        clock = self.clock()
        days = step.deadline_days if step and step.deadline_days is not None else self.policy.work.due_days
        return max(now, clock.moment(clock.local_day(now), days))

    def close(self, now: datetime, outcome: str, reason: str) -> None:
        self.outcome = outcome
        self.closed_at = now
        self.log(now, "closed", f"{outcome}: {reason}")

    def log(
        self, now: datetime, kind: HistoryKind, detail: str, step: str | None = None, day: int | None = None,
        idempotency_key: str | None = None,
    ) -> None:  # fmt: skip
        """Append to the history. Duplicate deliveries and refusals are itemised MAX_LISTED_REPEATS times, then only
        counted (`unlisted`): a sender repeating itself cannot grow the account without end."""
        if kind in REPEATS and sum(h.kind == kind for h in self.history) >= MAX_LISTED_REPEATS:
            self.unlisted[kind] = self.unlisted.get(kind, 0) + 1
            return
        self.history.append(
            HistoryEntry(at=now, kind=kind, detail=detail, step=step, day=day, idempotency_key=idempotency_key)
        )
