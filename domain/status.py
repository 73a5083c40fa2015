"""The `status` query's answer: where an account stands and why. Built from state, so it is always exact."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, BaseModel, Field

from domain.account import AccountState, HistoryEntry, PaymentRecord
from domain.actions import Balance, InvoiceLine
from domain.agencies import Placement
from domain.arrangements import (
    Agreement,
    Approval,
    Bankruptcy,
    CaseLink,
    Charge,
    ContactRecord,
    DebtorConflict,
    Dispute,
    InstallmentPlan,
    LetterRecord,
    Migration,
    PauseRecord,
    Promise,
    WorkItem,
)
from domain.planner import (
    Act,
    Close,
    Defer,
    Skip,
    Wait,
    days_past_due,
    held_days,
    hold,
    ladder_day,
    limitation_of,
    plan,
    stage,
    timeline,
)
from domain.settlements import Settlement
from domain.suit_costs import SuitCost, cost_of_suing


class NextAction(BaseModel):
    step: str
    action: str
    at: datetime | None = Field(description="when it is taken; None while it waits for something to happen")
    waits_for: str | None = Field(default=None, description="what it waits for first (an approval, a window...)")


class PendingApproval(BaseModel):
    step: str
    approver: str  # the level asked now
    waiting_days: int
    requested_at: datetime
    needed: str = Field(default="supervisor", description="the lowest level that may decide it")
    subject: str = Field(default="", description="a step's action, write_off or installment_plan")
    requested_by: str = Field(default="system", description="who asked: may not decide it (four eyes)")
    about: str = ""


class TaskStatus(WorkItem):
    """A person's task on the account, as the status shows it."""

    overdue: bool = False


class AccountStatus(BaseModel):
    account_id: str
    workflow_id: str
    policy: str
    arm: str | None = Field(default=None, description="the experiment arm it was assigned (domain.experiments)")
    segment: str | None
    debtor_name: str | None
    timezone: str | None
    stage: str
    outcome: str | None
    closed_at: datetime | None
    closing: str | None = Field(default=None, description="the outcome it closes with, until the workflow records it")
    balances: list[Balance]
    invoices: list[InvoiceLine]
    oldest_due_date: date | None
    days_past_due: int | None
    next_action: NextAction | None
    payments: list[PaymentRecord]
    history: list[HistoryEntry]
    fees: list[Charge] = []
    interest: str = Field(default="none", description="the policy's late-interest terms")
    allocation_order: list[str] = Field(default=[], description="what a payment pays first")
    migrations: list[Migration] = []
    held: str | None = Field(default=None, description="why the ladder is paused now, if it is")
    waiting: str | None = Field(default=None, description="what the account waits for now, if it says")
    held_days: int = Field(default=0, description="days the ladder's deadlines have moved (negative: jumped ahead)")
    ladder_day: int | None = Field(default=None, description="the ladder's day: days past due less the days held")
    stage_cap: str | None = None
    promises: list[Promise] = []
    broken_promises: int = 0
    installment_plan: InstallmentPlan | None = Field(
        default=None,
        validation_alias=AliasChoices("installment_plan", "plan"),  # `plan` in a worker's answer before the rename
    )
    disputes: list[Dispute] = []
    pending_approvals: list[PendingApproval] = []
    approvals: list[Approval] = []
    pauses: list[PauseRecord] = []
    contact_failures: dict[str, int] = {}
    lost_contact_since: datetime | None = None
    bankruptcy: Bankruptcy | None = None
    with_legal_since: datetime | None = None
    legal_outcome: str | None = None
    legal_case: CaseLink | None = Field(default=None, description="the legal case's stage and next deadline")
    placements: list[Placement] = Field(default=[], description="placements with collection agencies, latest last")
    limitation_date: date | None = None
    limitation_basis: str | None = Field(default=None, description="what last started or restarted the period")
    limitation_override: str | None = None
    debtor_conflicts: list[DebtorConflict] = Field(default=[], description="joining invoices' differing debtors")
    unapplied: dict[str, Decimal] = Field(default={}, description="money received that paid nothing, per currency")
    unlisted: dict[str, int] = Field(default={}, description="repeated refusals and duplicates counted, not listed")
    tasks: list[TaskStatus] = Field(default=[], description="people's tasks on the account, followed until done")
    contacts: list[ContactRecord] = Field(default=[], description="calls, visits and confirmations people recorded")
    letters: list[LetterRecord] = Field(default=[], description="letters sent and where each is: queued, in transit, "
                                        "delivered (or presumed so), returned")  # fmt: skip
    suit_cost: SuitCost | None = Field(default=None, description="the cost test, while litigation awaits approval")
    agreements: list[Agreement] = Field(default=[], description="written repayment agreements and their signature")
    settlements: list[Settlement] = Field(default=[], description="settlement offers: asked, offered, settled (what "
                                          "was waived, each part apart), lapsed or rejected")  # fmt: skip

    @property
    def outstanding(self) -> Decimal:
        """Sum across currencies: only meaningful for filtering (single-currency books are the norm)."""
        return sum((b.amount for b in self.balances), Decimal(0))

    def describe(self) -> str:
        return describe(self)


def stage_and_day(state: AccountState, now: datetime) -> tuple[str, int | None]:
    """The account's stage and days past due now: 'opening' before the first invoice, 'closed' after the
    last; 'with_legal' once handed over; 'disputed' while nothing is collectible; else the ladder's stage."""
    if state.outcome is not None:
        return "closed", None
    if not state.invoices:
        return "opening", None
    day = days_past_due(state, now)
    if day is None:
        return "closing", None
    if state.with_legal_since:
        return "with_legal", day
    return stage(state, now) or "disputed", day


def account_status(state: AccountState, now: datetime) -> AccountStatus:
    decision = plan(state, now)
    stage, day = stage_and_day(state, now)
    limit = limitation_of(state) if state.outcome is None else None
    next_action = None
    if isinstance(decision, Act | Skip):
        next_action = NextAction(step=decision.step.key, action=decision.step.action.value, at=now)
    elif isinstance(decision, Defer):
        next_action = NextAction(step=decision.step.key, action=decision.step.action.value, at=decision.until,
                                 waits_for=decision.reason)  # fmt: skip
    elif isinstance(decision, Wait) and decision.step is not None:
        # A step that waits for something (an approval, the step it comes after) is not taken when the planner next
        # wakes for something else (a reminder, an escalation): say what it waits for, not that moment.
        waits_for = decision.reason
        next_action = NextAction(step=decision.step.key, action=decision.step.action.value,
                                 at=None if waits_for else decision.until, waits_for=waits_for)  # fmt: skip
    return AccountStatus(
        account_id=state.account_id,
        workflow_id=state.workflow_id,
        policy=f"{state.policy.name} v{state.policy.version}",
        arm=state.arm,
        segment=state.debtor.segment if state.debtor else None,
        debtor_name=state.debtor.name if state.debtor else None,
        timezone=state.debtor.timezone if state.debtor else None,
        stage=stage,
        outcome=state.outcome,
        closed_at=state.closed_at,
        closing=None if state.outcome or not isinstance(decision, Close) else f"{decision.outcome}: {decision.reason}",
        balances=state.balance_lines(now),
        invoices=state.invoice_lines(now),
        oldest_due_date=state.oldest_due_date(),
        days_past_due=day,
        next_action=next_action,
        payments=state.payments,
        history=state.history,
        fees=state.charges,
        interest=state.interest_terms(),
        allocation_order=list(state.policy.money.allocation),
        migrations=state.migrations,
        held=hold(state) if state.outcome is None else None,
        waiting=decision.reason if isinstance(decision, Wait) and state.outcome is None else None,
        held_days=held_days(state, now),
        ladder_day=ladder_day(state, now) if state.outcome is None else None,
        stage_cap=state.stage_cap,
        promises=state.promises,
        broken_promises=sum(p.state == "broken" for p in state.promises),
        installment_plan=state.installment_plan,
        disputes=state.disputes,
        pending_approvals=[
            PendingApproval(
                step=a.step,
                approver=state.policy.approvals.levels[a.level],
                waiting_days=timeline(state).days_between(a.requested_at, now),
                requested_at=a.requested_at,
                needed=state.policy.approvals.levels[a.needed],
                subject=a.subject,
                requested_by=a.requested_by,
                about=a.about,
            )
            for a in state.approvals.values()
            if a.state == "pending"
        ]
        if state.outcome is None
        else [],
        approvals=list(state.approvals.values()),
        pauses=state.pauses,
        contact_failures=state.failures,
        lost_contact_since=state.lost_contact,
        bankruptcy=state.bankruptcy,
        with_legal_since=state.with_legal_since,
        legal_outcome=state.legal_outcome,
        legal_case=state.legal_case,
        placements=state.placements,
        limitation_date=limit[0] if limit else None,
        limitation_basis=limit[1] if limit else None,
        limitation_override=state.limitation_override,
        debtor_conflicts=state.debtor_conflicts,
        unlisted=state.unlisted,
        unapplied=state.unapplied(),
        tasks=[TaskStatus(**w.model_dump(), overdue=w.state == "open" and now >= w.due_at) for w in state.work.values()]
        if state.outcome is None
        else [],
        contacts=state.contact_records,
        letters=list(state.letters.values()),
        settlements=state.settlements,
        agreements=state.agreements,
        suit_cost=cost_of_suing(state, now) if _litigation_waits(state) else None,
    )


def _delivery(letter: LetterRecord) -> str:
    """Where a letter is, in a few words."""
    tracking = f" {letter.tracking}" if letter.tracking else ""
    if letter.status in ("delivered", "presumed", "returned") and letter.at:
        said = {"delivered": "delivered", "presumed": "presumed delivered", "returned": "returned"}[letter.status]
        why = f" (proof {letter.proof_ref})" if letter.proof_ref else f": {letter.reason}" if letter.reason else ""
        return f"{said} {letter.at:%Y-%m-%d}{why},{tracking or ' untracked'}"
    return f"in transit,{tracking}" if letter.status == "in_transit" else "queued for posting (no tracking number yet)"


def _when(at: datetime | None, zone: str | None) -> str:
    if at is None:
        return "-"
    utc = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not zone:
        return utc
    return f"{at.astimezone(ZoneInfo(zone)).strftime('%Y-%m-%d %H:%M')} {zone} ({utc})"


def _balance(b: Balance, parts: bool) -> str:
    if not parts:
        return f"{b.amount} {b.currency}"
    return f"{b.amount} {b.currency} (principal {b.principal}, interest {b.interest}, fees {b.fees})"


def describe(status: AccountStatus) -> str:
    """The status as a supervisor reads it in a terminal."""
    charges = status.interest != "none" or bool(status.fees)
    money = ", ".join(_balance(b, charges) for b in status.balances) or "nothing"
    lines = [
        f"Account {status.account_id} ({status.debtor_name}), workflow {status.workflow_id}",
        f"  policy       {status.policy}, segment {status.segment}, timezone {status.timezone}",
    ]
    if status.outcome:
        lines.append(f"  outcome      {status.outcome} at {_when(status.closed_at, status.timezone)}")
    elif status.closing:
        lines.append(f"  closing      {status.closing}")
    else:
        ladder = f" (ladder day {status.ladder_day})" if status.ladder_day not in (None, status.days_past_due) else ""
        dpd = status.days_past_due
        when = f"due in {-dpd} day{'s' if dpd != -1 else ''}" if dpd is not None and dpd < 0 else f"{dpd} days past due"
        lines.append(f"  stage        {status.stage}{ladder}, {when}")
    lines.append(f"  outstanding  {money} (oldest unpaid due date {status.oldest_due_date or '-'})")
    if status.unapplied:
        money = ", ".join(f"{amount} {currency}" for currency, amount in sorted(status.unapplied.items()))
        lines.append(
            f"  unapplied    {money} received but paid nothing: a supervisor reviews it (refund or reallocation)"
        )
    if charges:
        lines.append(f"  interest     {status.interest}; payments pay {', then '.join(status.allocation_order)}")
    if status.limitation_date:
        lines.append(f"  limitation   {status.limitation_date} (last started: {status.limitation_basis})")
    if status.next_action:
        step, at, waits_for = status.next_action.step, status.next_action.at, status.next_action.waits_for
        when = f"at {_when(at, status.timezone)}" if at else "-"
        lines.append(f"  next action  {step} {when}" + (f" ({waits_for})" if waits_for else ""))
    for move in status.migrations:
        where = f"restarted at {move.stage}" if move.stage else "same day"
        lines.append(f"  migrated     {move.from_policy} → {move.to_policy} ({where}, day {move.day_before} → "
                     f"{move.day_after}) by {move.by} at {_when(move.at, status.timezone)}: {move.reason}")  # fmt: skip
    if status.held:
        lines.append(f"  held         {status.held}")
    elif status.waiting:
        lines.append(f"  waiting      {status.waiting}")
    if status.held_days:
        lines.append(f"  deadlines    moved by {status.held_days} day(s)")
    for approval in status.pending_approvals:
        who = f"; a {approval.needed} or above decides" if approval.needed != approval.approver else ""
        asked = f", asked by {approval.requested_by}" if approval.requested_by != "system" else ""
        lines.append(f"  approval     {approval.step} waits for the {approval.approver} ({approval.waiting_days} days"
                     f"{asked}{who})" + (f": {approval.about}" if approval.about else ""))  # fmt: skip
    if status.suit_cost:
        lines.append(f"  cost test    {status.suit_cost.describe()}")
    for placed in status.placements:
        until = f"recalled {placed.recalled_at:%Y-%m-%d}: {placed.recall_reason}" if placed.recalled_at else "placed"
        money = f"collected {placed.collected} {placed.currency}, commission {placed.commission} at {placed.rate}"
        lines.append(f"  agency       {placed.agency_id} since {placed.placed_at:%Y-%m-%d} ({until}); {money}")
    if status.legal_case and not status.legal_case.closed:
        case = status.legal_case
        lines.append(f"  legal case   {case.case_id}: {case.stage}; next {case.next_step or '-'} by "
                     f"{case.next_deadline or '-'}")  # fmt: skip
    for task in status.tasks:
        if task.state == "open":
            late = " OVERDUE" if task.overdue else ""
            lines.append(f"  task         {task.key} ({task.kind}) due {_when(task.due_at, status.timezone)}{late}")
    for promise in status.promises:
        what = f"{promise.amount} {promise.currency} by {promise.promised_date}"
        lines.append(f"  promise      {promise.promise_id}: {what} ({promise.state}, taken by {promise.taken_by})")
    if status.installment_plan:
        terms = ", ".join(
            f"{t.number}: {t.amount} on {t.due_date} {t.state}" for t in status.installment_plan.installments
        )
        lines.append(f"  plan         {status.installment_plan.plan_id} {status.installment_plan.state}: {terms}")
    for dispute in status.disputes:
        about = ", ".join(dispute.invoice_ids) or "whole balance"
        lines.append(f"  dispute      {dispute.dispute_id} ({about}) {dispute.state}: {dispute.reason}")
    for conflict in status.debtor_conflicts:
        lines.append(f"  conflict     event {conflict.event_id}: {conflict.field} {conflict.offered!r}, kept "
                     f"{conflict.kept!r} (for a supervisor)")  # fmt: skip
    if status.lost_contact_since:
        lines.append(f"  contact      lost since {_when(status.lost_contact_since, status.timezone)}: letters only")
    lines.append("  invoices")
    for i in status.invoices:
        contract = i.contract_ref or "-"
        lines.append(
            f"    {i.invoice_id:<12} contract {contract:<14} due {i.due_date}  {i.amount} {i.currency}"
            f"  outstanding {i.outstanding} {i.currency}" + (f" + interest {i.interest}" if i.interest else "")
        )
    if status.fees:
        lines.append("  fees")
    for fee in status.fees:
        state = f"paid {fee.paid}" + (f", waived {fee.waived}" if fee.waived else "")
        lines.append(f"    {fee.charge_id:<24} {fee.amount} {fee.currency} on {fee.charged_at:%Y-%m-%d} ({state})")
    if status.payments:
        lines.append("  payments")
    for payment in status.payments:
        parts = ", ".join(f"{a.part} {a.amount} ({a.target})" for a in payment.allocations) or "nothing owed"
        extra = f", {payment.unapplied} unapplied" if payment.unapplied else ""
        lines.append(f"    {payment.payment_id:<12} {payment.amount} {payment.currency}: {parts}{extra}")
    if status.contacts:
        lines.append("  calls, visits and confirmations")
    for contact in status.contacts:
        minutes = f", {contact.duration_minutes} min" if contact.duration_minutes is not None else ""
        lines.append(f"    {_when(contact.at, status.timezone)}  {contact.channel} {contact.result}{minutes} by "
                     f"{contact.by}" + (f": {contact.notes[:100]}" if contact.notes else ""))  # fmt: skip
    if status.letters:
        lines.append("  letters")
    for letter in status.letters:
        lines.append(f"    {letter.step:<30} sent {_when(letter.sent_at, status.timezone)}  {_delivery(letter)}")
    if status.agreements:
        lines.append("  agreements")
    for agreement in status.agreements:
        signed = (
            f"signed {agreement.signed_on} ({agreement.evidence_ref})" if agreement.signed_on else "awaiting signature"
        )
        lines.append(f"    {agreement.agreement_id:<30} {agreement.about.replace('_', ' ')} {agreement.ref}, sent "
                     f"{_when(agreement.created_at, status.timezone)}: {signed}")  # fmt: skip
    if status.settlements:
        lines.append("  settlements")
    for offer in status.settlements:
        lines.append(f"    {offer.settlement_id}  {offer.state:<16} {offer.terms()}" + (
            f"; waived interest {offer.waived_interest}, fees {offer.waived_fees}, principal {offer.discount}"
            if offer.state == "settled" else ""))  # fmt: skip
    lines.append("  history" + "".join(f" (and {n} more {kind} not listed)" for kind, n in status.unlisted.items()))
    for entry in status.history:
        key = f"  [{entry.idempotency_key}]" if entry.idempotency_key else ""
        day = f"day {entry.day:>3}" if entry.day is not None else "       "
        lines.append(f"    {entry.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC  {day}  {entry.kind:<9} {entry.detail}{key}")
    return "\n".join(lines)


def _litigation_waits(state: AccountState) -> bool:
    """A step that hands the case to legal waits for its approval: the approver weighs the cost test."""
    legal = {step.key for step in state.policy.steps if step.hands_to_legal}
    return any(a.state == "pending" and a.step in legal for a in state.approvals.values())
