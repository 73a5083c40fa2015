"""Drive the pure planner the way the workflow does, with no Temporal: plan, act or skip, sleep, repeat."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.account import AccountState
from domain.actions import ActionRequest
from domain.planner import Act, Close, Skip, Wait, plan
from domain.policy import Policy
from tests.factories import overdue


@dataclass
class Run:
    state: AccountState
    acted: list[tuple[str, int, datetime]] = field(default_factory=list)  # step key, day, when
    skipped: list[tuple[str, str]] = field(default_factory=list)
    requests: list[ActionRequest] = field(default_factory=list)  # what each activity was asked to do
    outcome: str | None = None


def open_account(policy: Policy, now: datetime, **event: object) -> AccountState:
    state = AccountState(workflow_id="collection-ACC-1", account_id="ACC-1", policy=policy)
    state.add_invoice(overdue(occurred_at=now, **event), now)
    return state


def simulate(
    state: AccountState,
    start: datetime,
    until: datetime,
    interrupts: dict[datetime, Callable[[AccountState, datetime], None]] | None = None,
) -> Run:
    """Run until closed, idle, or `until`. `interrupts` change the state at given times (signals)."""
    run, now = Run(state), start
    pending = sorted((interrupts or {}).items())
    for _ in range(10_000):
        decision = plan(state, now)
        if isinstance(decision, Close):
            state.close(now, decision.outcome, decision.reason)
            run.outcome = decision.outcome
            return run
        if isinstance(decision, Act):
            state.record_step(now, decision.step.key, "done", "done", decision.day)
            run.acted.append((decision.step.key, decision.day, now))
            run.requests.append(decision.request)
        elif isinstance(decision, Skip):
            state.record_step(now, decision.step.key, "skipped", decision.reason, decision.day)
            run.skipped.append((decision.step.key, decision.reason))
        else:
            assert isinstance(decision, Wait)
            wake = decision.until
            if pending and (wake is None or pending[0][0] <= wake):
                at, change = pending.pop(0)
                now = max(now, at)
                change(state, now)
                continue
            if wake is None or wake > until:
                return run
            assert wake > now, "Wait must be in the future"
            now = wake
    raise AssertionError("planner did not settle")


def days(n: float) -> timedelta:
    return timedelta(days=n)
