"""The heart: plan(state, now) says what to do next. Pure: no Temporal, no I/O, no wall clock."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.account import AccountState
from domain.actions import ActionRequest
from domain.policy import CONTACT_NEEDS, Step
from domain.timeline import Timeline


@dataclass(frozen=True)
class Act:
    """Run this step's activity now, then plan again."""

    step: Step
    day: int
    request: ActionRequest


@dataclass(frozen=True)
class Skip:
    """Record that this step will not run, and why, then plan again."""

    step: Step
    day: int
    reason: str


@dataclass(frozen=True)
class Wait:
    """Sleep until `until` (None: until something happens), unless a signal changes the state first."""

    until: datetime | None
    step: Step | None = None


@dataclass(frozen=True)
class Close:
    outcome: str
    reason: str


Decision = Act | Skip | Wait | Close


def timeline(state: AccountState) -> Timeline:
    assert state.debtor and state.opened_at and state.opened_day, "account has no invoice yet"
    return Timeline(state.policy, state.debtor.timezone, state.opened_at, state.opened_day)


def days_past_due(state: AccountState, now: datetime) -> int | None:
    oldest = state.oldest_due_date()
    return None if oldest is None else timeline(state).days_past(oldest, now)


def plan(state: AccountState, now: datetime) -> Decision:
    if state.outcome is not None:
        return Close(state.outcome, "already closed")
    if not state.invoices:
        return Wait(None)
    oldest = state.oldest_due_date()
    if oldest is None:
        return Close("paid", "every invoice is paid in full")

    policy, clock = state.policy, timeline(state)
    closing = next((s for s in policy.steps if s.closes_as and state.handled.get(s.key) == "done"), None)
    if closing is not None:
        return Close(closing.closes_as, f"{closing.key} done")
    day = clock.days_past(oldest, now)
    current_stage = policy.stage_at(day)
    for step in policy.steps:
        if step.key in state.handled:
            continue
        at = clock.moment(oldest, step.day)
        if at > now:
            return Wait(at, step)
        step_stage = policy.stage_at(step.day)
        if policy.stage_rank(step_stage) < policy.stage_rank(current_stage):
            return Skip(step, day, f"the {step_stage} stage was already over (account at day {day}, {current_stage})")
        need = CONTACT_NEEDS.get(step.action)
        if need and not getattr(state.debtor, need):
            return Skip(step, day, f"no {need} on file")
        return Act(step, day, _request(state, step, day, now))
    return Wait(None)


def _request(state: AccountState, step: Step, day: int, now: datetime) -> ActionRequest:
    assert state.debtor is not None
    today = timeline(state).local_day(now)
    return ActionRequest(
        idempotency_key=state.idempotency_key(step.key),
        account_id=state.account_id,
        action=step.action,
        step=step.key,
        template=step.template,
        stage=state.policy.stage_at(day),
        debtor=state.debtor,
        invoices=[i.line() for i in sorted(state.unpaid(), key=lambda i: (i.due_date, i.invoice_id))],
        balances=state.balance_lines(),
        days_past_due=day,
        oldest_due_date=state.oldest_due_date() or today,
        today=today,
        deadline=None if step.deadline_days is None else today + timedelta(days=step.deadline_days),
        planned_at=now,
    )
