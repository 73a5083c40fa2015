"""The order of a ladder's steps (rules 4): a step `after` another waits for it, a later step of the same kind due as
well supersedes an earlier one, a required step says what it is required before; and what a done step still waits
for (rules 3: a task's result), or a confirmation letter no longer needed."""

from datetime import date, datetime

from domain.account import AccountState
from domain.decisions import Wait
from domain.policy import Step


def confirmed_at(state: AccountState) -> datetime | None:
    """When the debtor last confirmed the balance (`confirm_balance`), if no invoice joined the account since: a
    confirmation letter would ask again for what is already on record."""
    confirmed = [r.at for r in state.contact_records if r.channel == "confirmation" and r.result == "confirmed"]
    joined = [entry.at for entry in state.history if entry.kind == "invoice"]
    return max(confirmed) if confirmed and (not joined or max(confirmed) > max(joined)) else None


def required_before(state: AccountState, step: Step) -> str:
    later = [s.key for s in state.policy.steps if s.after == step.key]
    return f"required before {', '.join(later)}" if later else "required before the later steps"


def newer_due(state: AccountState, step: Step, now: datetime, oldest: date) -> Step | None:
    """A later step of the same kind that is due too (a late entrant, a jump, a day of contacts deferred): the
    debtor gets that one, not both. Required steps and steps with an approval are never superseded."""
    if step.required or step.needs_approval:
        return None
    clock, later = state.clock(), state.policy.steps[state.policy.steps.index(step) + 1 :]
    due = (s for s in later if s.action == step.action and s.key not in state.handled and not s.needs_approval)
    return next((s for s in due if clock.moment(oldest, s.day + state.shift_days) <= now), None)


def after_moment(state: AccountState, step: Step, now: datetime) -> datetime | None:
    """The earliest moment `step` may come after the step it follows: None until that step is handled; its
    `after_days` after it was done (at the policy's time of day), or at once when it was skipped or failed."""
    assert step.after is not None
    if step.after not in state.handled:
        return None
    done = next((h.at for h in reversed(state.history) if h.step == step.after and h.kind == "action"), None)
    if state.handled[step.after] != "done" or done is None:
        return now
    clock = state.clock()
    return clock.moment(clock.local_day(done), step.after_days) if step.after_days else done


def awaited(state: AccountState, step: Step, now: datetime) -> Wait | None:
    """A done step whose task's result the ladder waits for (rules 3): wait until the task is done, at most the
    policy's `awaits_result_days` after it was given; then the ladder goes on without it."""
    item = state.work.get(step.key)
    if state.rules < 3 or item is None or item.state != "open":
        return None
    until = item.given_at + state.clock().span(state.policy.work.awaits_result_days)
    if now >= until:
        return None
    return Wait(until, reason=f"waiting for the result of {step.key} ({item.kind}) until {until.isoformat()}")


def approval_step_due(state: AccountState, now: datetime) -> bool:
    """Whether a step that needs an approval not yet asked for has reached its day (a step is never due before
    `oldest due + day + shift`; `after` only delays it): when none has, settle() need not walk the ladder."""
    oldest, clock = state.oldest_collectible_due_date(), state.clock()
    return oldest is not None and any(
        step.needs_approval and step.key not in state.handled and step.key not in state.approvals
        and clock.moment(oldest, step.day + state.shift_days) <= now for step in state.policy.steps
    )  # fmt: skip
