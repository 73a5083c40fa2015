"""The `status` query's answer: where an account stands and why. Built from state, so it is always exact."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from domain.account import AccountState, HistoryEntry, PaymentRecord
from domain.actions import Balance, InvoiceLine
from domain.planner import Act, Skip, Wait, days_past_due, plan


class NextAction(BaseModel):
    step: str
    action: str
    at: datetime | None


class AccountStatus(BaseModel):
    account_id: str
    workflow_id: str
    policy: str
    segment: str | None
    debtor_name: str | None
    timezone: str | None
    stage: str
    outcome: str | None
    closed_at: datetime | None
    balances: list[Balance]
    invoices: list[InvoiceLine]
    oldest_due_date: date | None
    days_past_due: int | None
    next_action: NextAction | None
    payments: list[PaymentRecord]
    history: list[HistoryEntry]

    @property
    def outstanding(self) -> Decimal:
        """Sum across currencies: only meaningful for filtering (single-currency books are the norm)."""
        return sum((b.amount for b in self.balances), Decimal(0))

    def describe(self) -> str:
        return describe(self)


def stage_and_day(state: AccountState, now: datetime) -> tuple[str, int | None]:
    """The account's stage and days past due now ('opening' before the first invoice, 'closed' after)."""
    if state.outcome is not None:
        return "closed", None
    if not state.invoices:
        return "opening", None
    day = days_past_due(state, now)
    return ("settled", None) if day is None else (state.policy.stage_at(day), day)


def account_status(state: AccountState, now: datetime) -> AccountStatus:
    decision = plan(state, now)
    stage, day = stage_and_day(state, now)
    next_action = None
    if isinstance(decision, Act | Skip):
        next_action = NextAction(step=decision.step.key, action=decision.step.action.value, at=now)
    elif isinstance(decision, Wait) and decision.step is not None:
        next_action = NextAction(step=decision.step.key, action=decision.step.action.value, at=decision.until)
    return AccountStatus(
        account_id=state.account_id,
        workflow_id=state.workflow_id,
        policy=f"{state.policy.name} v{state.policy.version}",
        segment=state.debtor.segment if state.debtor else None,
        debtor_name=state.debtor.name if state.debtor else None,
        timezone=state.debtor.timezone if state.debtor else None,
        stage=stage,
        outcome=state.outcome,
        closed_at=state.closed_at,
        balances=state.balance_lines(),
        invoices=[i.line() for i in state.invoices],
        oldest_due_date=state.oldest_due_date(),
        days_past_due=day,
        next_action=next_action,
        payments=state.payments,
        history=state.history,
    )


def _when(at: datetime | None, zone: str | None) -> str:
    if at is None:
        return "-"
    utc = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not zone:
        return utc
    return f"{at.astimezone(ZoneInfo(zone)).strftime('%Y-%m-%d %H:%M')} {zone} ({utc})"


def describe(status: AccountStatus) -> str:
    """The status as a supervisor reads it in a terminal."""
    money = ", ".join(f"{b.amount} {b.currency}" for b in status.balances) or "nothing"
    lines = [
        f"Account {status.account_id} ({status.debtor_name}), workflow {status.workflow_id}",
        f"  policy       {status.policy}, segment {status.segment}, timezone {status.timezone}",
    ]
    if status.outcome:
        lines.append(f"  outcome      {status.outcome} at {_when(status.closed_at, status.timezone)}")
    else:
        lines.append(f"  stage        {status.stage}, {status.days_past_due} days past due")
    lines.append(f"  outstanding  {money} (oldest unpaid due date {status.oldest_due_date or '-'})")
    if status.next_action:
        lines.append(f"  next action  {status.next_action.step} at {_when(status.next_action.at, status.timezone)}")
    lines.append("  invoices")
    for i in status.invoices:
        contract = i.contract_ref or "-"
        lines.append(
            f"    {i.invoice_id:<12} contract {contract:<14} due {i.due_date}  {i.amount} {i.currency}"
            f"  outstanding {i.outstanding} {i.currency}"
        )
    lines.append("  history")
    for entry in status.history:
        key = f"  [{entry.idempotency_key}]" if entry.idempotency_key else ""
        day = f"day {entry.day:>3}" if entry.day is not None else "       "
        lines.append(f"    {entry.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC  {day}  {entry.kind:<9} {entry.detail}{key}")
    return "\n".join(lines)
