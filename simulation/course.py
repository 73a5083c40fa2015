"""One account's course as its workflow runs it: settle, plan, then act, skip, defer, wait or close, in simulated
time. The same calls as workflows/collection.py (domain.rerouting.settle, domain.planner.plan, the account's
record_step): no rule is copied here. What people would do is played at once: approvals granted, the law firm
issuing the letters drafted for it, calls and visits made (the collector reaches the debtor), other tasks done.
An activity never fails here: every action goes out the moment the planner says so."""

import copy as copy_module
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from domain.account import AccountState
from domain.commands import ApprovalDecision, ConfirmLawyerLetter, RecordContact
from domain.kinds import ActionKind
from domain.planner import Act, Close, Decision, Defer, Skip, Wait, plan, stage
from domain.rerouting import apply_confirm_lawyer_letter, apply_decision, apply_record_contact, settle
from domain.rerouting.common import finish_work

# Dates and instants are immutable: the copy module copies them by reduction (a third of a state's copy) only
# because nobody told it so. Told here, once, for every copy in this process.
copy_module._deepcopy_dispatch[datetime] = copy_module._deepcopy_atomic  # type: ignore[attr-defined]
copy_module._deepcopy_dispatch[date] = copy_module._deepcopy_atomic  # type: ignore[attr-defined]

STAFF = "simulation"
# What a person does with the task each kind gives: calls and visits are contacts the caps count.
CONTACTS: dict[ActionKind, tuple[Literal["call", "visit"], Literal["reached", "visited"]]] = {
    ActionKind.CALL_TASK: ("call", "reached"),
    ActionKind.VISIT_TASK: ("visit", "visited"),
}
MAX_DECISIONS = 5_000  # per course: a planner that never settles is a bug, said so rather than looped on

Change = Callable[[AccountState, datetime], None]


@dataclass(frozen=True)
class Done:
    """An action taken: when, what, in which stage, and by which step."""

    at: datetime
    kind: ActionKind
    stage: str
    step: str
    to_legal: bool = False


@dataclass
class Course:
    acts: list[Done] = field(default_factory=list)
    paid: list[tuple[datetime, Decimal]] = field(default_factory=list)  # money received by the account, and when
    end: datetime | None = None  # when it left collection (closed, or handed to legal); None: open at the horizon
    outcome: str | None = None  # the planner's closing outcome, or "legal"
    decisions: int = 0  # the planner's, for the benchmark


def copy(state: AccountState) -> AccountState:
    """A copy to change on its own. Shared, not copied: the policy (frozen, and the largest part), and the entries of
    the history and of the contacts made (appended, never changed: half of an account's state by the end)."""
    memo: dict[int, Any] = {id(state.policy): state.policy}
    memo.update((id(entry), entry) for entry in state.history)
    memo.update((id(contact), contact) for contact in state.contacts)
    return deepcopy(state, memo)


def follow(
    state: AccountState,
    now: datetime,
    until: datetime,
    events: list[tuple[datetime, Change]],
    at_sleep: Callable[[datetime, AccountState, Course], None] | None = None,
) -> Course:
    """Run the account from `now` to `until`, applying `events` (what the debtor does) at their times, and changing
    `state`. Each time the account sleeps, `at_sleep` is shown it as it stands from then until it wakes."""
    course, pending = Course(), sorted(events, key=lambda event: event[0])
    for _ in range(MAX_DECISIONS):
        settle(state, now)
        decision = plan(state, now)
        course.decisions += 1
        if isinstance(decision, Close):
            state.close(now, decision.outcome, decision.reason)
            course.end, course.outcome = now, decision.outcome
            return course
        if isinstance(decision, Act):
            _act(state, decision, now, course)
            if decision.step.hands_to_legal:
                course.end, course.outcome = now, "legal"
                return course
            continue
        if isinstance(decision, Skip):
            state.record_step(now, decision.step.key, "skipped", decision.reason, decision.day)
            continue
        wake = _sleep(state, decision, now)
        if at_sleep:
            at_sleep(now, state, course)
        event = pending[0][0] if pending and (wake is None or pending[0][0] <= wake) else None
        if event is not None:
            at, change = pending.pop(0)
            now = max(now, at)
            paid = state.total_paid()
            change(state, now)
            if state.total_paid() != paid:
                course.paid.append((now, state.total_paid() - paid))
            continue
        if wake is None or wake > until:
            return course
        now = wake
    raise RuntimeError(f"account {state.account_id}: the planner did not settle in {MAX_DECISIONS} decisions")


def _sleep(state: AccountState, decision: Decision, now: datetime) -> datetime | None:
    if isinstance(decision, Defer):
        state.note_deferral(now, decision.step.key, decision.until, decision.reason)
        return decision.wake or decision.until
    assert isinstance(decision, Wait)
    return decision.until


def _act(state: AccountState, act: Act, now: datetime, course: Course) -> None:
    step, kind = act.step, act.step.action
    state.record_step(now, step.key, "done", "done (simulated)", act.day, action=kind)
    course.acts.append(Done(now, kind, stage(state, now) or "pre_due", step.key, step.hands_to_legal))
    details = act.request.details
    if kind == ActionKind.APPROVAL_REQUEST and "reminder" not in step.key:
        decide = ApprovalDecision(command_id=f"sim-ok-{details['step']}", by=STAFF, step=details["step"],
                                  reason="simulated: approved")  # fmt: skip
        apply_decision(state, decide, now, approve=True)
    elif kind == ActionKind.LAWYER_LETTER_DRAFT:
        issued = ConfirmLawyerLetter(command_id=f"sim-firm-{details['letter_step']}", by=STAFF,
                                     step=details["letter_step"], answer="issued", lawyer="simulated",
                                     licence="simulated", issued_on=state.clock().local_day(now))  # fmt: skip
        apply_confirm_lawyer_letter(state, issued, now)
    elif kind in CONTACTS:
        channel, result = CONTACTS[kind]
        made = RecordContact(command_id=f"sim-{step.key}-{now:%Y%m%d%H%M}", by=STAFF, channel=channel,
                             result=result, at=now, task=step.key)  # fmt: skip
        apply_record_contact(state, made, now)
    elif step.key in state.work:
        finish_work(state, step.key, STAFF, "done (simulated)", now)
