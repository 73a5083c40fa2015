"""approve_action and reject_action: decide a pending approval (settle() asks for it and escalates it)."""

from datetime import datetime

from domain.account import AccountState
from domain.commands import ApprovalDecision
from domain.rerouting.common import CommandRejected, _open, _record, seen


def check_decision(state: AccountState, command: ApprovalDecision, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    approval = state.approvals.get(command.step)
    if approval is None:
        pending = ", ".join(k for k, a in state.approvals.items() if a.state == "pending") or "none"
        raise CommandRejected(f"no approval request for {command.step} (pending: {pending})")
    if approval.state != "pending":
        raise CommandRejected(f"{command.step} was already {approval.state} by {approval.decided_by}")


def apply_decision(state: AccountState, command: ApprovalDecision, now: datetime, approve: bool) -> None:
    if seen(state, command):
        return
    approval = state.approvals[command.step]
    approval.state = "approved" if approve else "rejected"
    approval.decided_by, approval.reason, approval.decided_at = command.by, command.reason, now
    if not approve:
        policy = state.policy
        step = next(s for s in policy.steps if s.key == command.step)
        before = policy.stage_at(step.day - 1)
        if before != policy.stage_at(step.day):  # the step would open a stage: stay below it
            state.stage_cap = before
    verb = "approve_action" if approve else "reject_action"
    _record(state, command, now, verb, f"{command.step}: {command.reason}")
