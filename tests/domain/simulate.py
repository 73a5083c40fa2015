"""Drive the pure planner the way the workflow does, with no Temporal: plan, act or skip, sleep, repeat."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.account import RULES, AccountState
from domain.actions import ActionRequest
from domain.commands import ApprovalDecision, ConfirmLawyerLetter
from domain.kinds import ActionKind
from domain.planner import Act, Close, Decision, Defer, Skip, Wait, plan
from domain.policy import Policy
from domain.rerouting import apply_confirm_lawyer_letter, apply_decision, settle
from tests.factories import overdue


@dataclass
class Run:
    state: AccountState
    acted: list[tuple[str, int, datetime]] = field(default_factory=list)  # step key, day, when

    @property
    def ladder(self) -> list[tuple[str, int]]:
        """The ladder steps taken (side actions such as approval requests left out)."""
        return [(key, day) for key, day, _ in self.acted if key.startswith("d")]

    skipped: list[tuple[str, str]] = field(default_factory=list)
    requests: list[ActionRequest] = field(default_factory=list)  # what each activity was asked to do
    deferred: list[tuple[str, datetime, datetime]] = field(default_factory=list)  # step, when, until
    outcome: str | None = None


def open_account(policy: Policy, now: datetime, **event: object) -> AccountState:
    state = AccountState(workflow_id="collection-ACC-1", account_id="ACC-1", policy=policy, rules=RULES)
    state.add_invoice(overdue(occurred_at=now, **event), now)
    return state


def simulate(
    state: AccountState,
    start: datetime,
    until: datetime,
    interrupts: dict[datetime, Callable[[AccountState, datetime], None]] | None = None,
    approve: bool = True,
    firm_issues: bool = True,
    watch: Callable[[AccountState, Decision, datetime], None] | None = None,
) -> Run:
    """Run until closed, idle, or `until`, as the workflow does: settle, plan, act. `interrupts` change the
    state at given times (signals, updates); with `approve`, every approval request is granted at once, and
    (`firm_issues`) the law firm issues every lawyer's letter drafted for it at once."""
    run, now = Run(state), start
    pending = sorted((interrupts or {}).items(), key=lambda item: item[0])
    for _ in range(10_000):
        settle(state, now)
        decision = plan(state, now)
        if watch:
            watch(state, decision, now)
        if isinstance(decision, Close):
            state.close(now, decision.outcome, decision.reason)
            run.outcome = decision.outcome
            return run
        if isinstance(decision, Act):
            state.record_step(now, decision.step.key, "done", "done", decision.day, action=decision.step.action)
            run.acted.append((decision.step.key, decision.day, now))
            run.requests.append(decision.request)
            if approve and decision.step.action == ActionKind.APPROVAL_REQUEST and "reminder" not in decision.step.key:
                step = decision.request.details["step"]
                decide = ApprovalDecision(command_id=f"ok-{step}", by="sim", step=step, reason="fine")
                apply_decision(state, decide, now, approve=True)
            if approve and firm_issues and decision.step.action == ActionKind.LAWYER_LETTER_DRAFT:
                step = decision.request.details["letter_step"]
                issued = ConfirmLawyerLetter(command_id=f"firm-{step}", by="sim", step=step, answer="issued",
                                             lawyer="王律师", licence="1310120001", issued_on=now.date())  # fmt: skip
                apply_confirm_lawyer_letter(state, issued, now)
        elif isinstance(decision, Skip):
            state.record_step(now, decision.step.key, "skipped", decision.reason, decision.day)
            run.skipped.append((decision.step.key, decision.reason))
        else:
            if isinstance(decision, Defer):
                state.note_deferral(now, decision.step.key, decision.until, decision.reason)
                run.deferred.append((decision.step.key, now, decision.until))
                wake = decision.wake or decision.until
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
