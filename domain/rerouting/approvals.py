"""Approvals: asked for (a ladder step that needs one, a write-off, a plan outside the policy's limits), decided by
approve_action and reject_action, escalated by settle() while nobody decides.

From rules 3 a request goes straight to the lowest level the policy's matrix names for it (domain.authority), and
only an approver of that level or above, other than the person who asked, may decide it."""

from datetime import datetime

from domain.account import AccountState
from domain.authority import LEVELS, SETTLEMENT, WRITE_OFF, may_decide
from domain.commands import ApprovalDecision
from domain.rerouting.common import CommandForbidden, CommandRejected, _open, _record, seen
from domain.rerouting.installment_plans import put_in_force
from domain.rerouting.placements import PLACEMENT, decide_placement
from domain.rerouting.settlements import decide_settlement


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
    needed = state.policy.approvals.levels[approval.needed]
    if not may_decide(command.approver_level, needed):
        who = f"a {command.approver_level}" if command.approver_level else "not an approver"
        raise CommandForbidden(f"{command.step} needs a {needed} or above ({', '.join(LEVELS)}); {command.by} is {who}")
    if command.by == approval.requested_by:
        raise CommandForbidden(f"{command.by} asked for {command.step}: another approver decides it (four eyes)")


def apply_decision(state: AccountState, command: ApprovalDecision, now: datetime, approve: bool) -> None:
    if seen(state, command):
        return
    approval = state.approvals[command.step]
    approval.state = "approved" if approve else "rejected"
    approval.decided_by, approval.reason, approval.decided_at = command.by, command.reason, now
    verb = "approve_action" if approve else "reject_action"
    _record(state, command, now, verb, f"{command.step}: {command.reason}")
    step = next((s for s in state.policy.steps if s.key == command.step), None)
    if approve and approval.plan is not None:
        put_in_force(state, approval.plan, now, approved_by=command.by)
    elif approval.subject == SETTLEMENT:
        decide_settlement(state, command.step, approve, now)
    elif approval.subject == PLACEMENT:
        decide_placement(state, command.step, approve, now)
    elif approve and approval.subject == WRITE_OFF:
        state.write_off = f"{approval.about} (asked by {approval.requested_by}, approved by {command.by})"
    elif not approve and step is not None:
        policy = state.policy
        before = policy.stage_at(step.day - 1)
        if before != policy.stage_at(step.day):  # the step would open a stage: stay below it
            state.stage_cap = before
