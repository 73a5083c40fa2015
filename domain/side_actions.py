"""Actions caused by events rather than by the ladder: dispute reviews and their reminders, skip traces, approval
requests and their reminders, reviews of unapplied money, installment reminders, notices of overdue tasks. Each is a
step with its own key, due at a time; the planner (domain.planner.plan) takes them before the ladder."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.account import AccountState
from domain.agreements import agreement_actions
from domain.kinds import ActionKind
from domain.policy import Step


@dataclass(frozen=True)
class SideAction:
    """An action caused by an event (a dispute, an approval, a plan), not by the ladder."""

    step: Step
    at: datetime
    details: dict[str, str] = field(default_factory=dict)


def side_actions(state: AccountState) -> list[SideAction]:
    """Every action caused by an event rather than by the ladder, with the time it is due."""
    return (
        _dispute_reviews(state)
        + _skip_traces(state)
        + _approval_requests(state)
        + unapplied_reviews(state)
        + _installment_reminders(state)
        + _overdue_work(state)
        + _settlement_offers(state)
        + _agency_handovers(state)
        + [SideAction(step, at, details) for step, at, details in agreement_actions(state)]
    )


def _agency_handovers(state: AccountState) -> list[SideAction]:
    """An account placed with an agency is handed over: a task in the agency's queue, and its package."""
    actions = []
    for placement in state.placements:
        agency = state.policy.agencies[placement.agency_id]
        step = Step(day=0, action=ActionKind.AGENCY_PLACEMENT, template="agency_placement",
                    id=f"{placement.placement_id}-handover")  # fmt: skip
        actions.append(SideAction(step, placement.placed_at, {
            "agency_id": agency.id, "agency": agency.name, "agency_email": str(agency.email),
            "placement_id": placement.placement_id, "rate": str(placement.rate), "currency": placement.currency,
            "placed_amount": str(placement.placed_amount), "report_within_days": str(agency.report_within_days),
        }))  # fmt: skip
    return actions


def _settlement_offers(state: AccountState) -> list[SideAction]:
    """An approved settlement goes to the debtor in writing, while it stands (domain.settlements)."""
    return [
        SideAction(offer.offer_step(), offer.offered_at, {
            "settlement_id": offer.settlement_id, "currency": offer.currency, "pay": str(offer.pay),
            "owed": str(offer.owed), "given_up": str(offer.given_up), "expires_on": offer.expires_on.isoformat(),
            "waive_interest": "yes" if offer.waive_interest else "", "waive_fees": "yes" if offer.waive_fees else "",
        })
        for offer in state.settlements
        if offer.state == "offered" and offer.offered_at is not None
    ]  # fmt: skip


def _overdue_work(state: AccountState) -> list[SideAction]:
    """A person's task not done by its due time: a notice to the next level of the policy's chain (seed 002: the
    supervisor, then the manager, then the general manager), one level per period while it stays open (rules 3)."""
    clock, rules = state.clock(), state.policy.work
    every, chain = clock.span(rules.escalate_every_days), rules.escalation
    actions: list[SideAction] = []
    for item in state.work.values():
        if item.state != "open":
            continue
        step, at, count = _reminder(state, f"work-{item.key}-overdue", ActionKind.TASK_OVERDUE, "task_overdue",
                                    item.due_at - every, every)  # fmt: skip
        if count <= len(chain):
            about = {"assignee_role": chain[count - 1], "task": item.key, "task_kind": item.kind,
                     "due_at": item.due_at.isoformat(), "level": chain[count - 1], "notice": str(count)}  # fmt: skip
            actions.append(SideAction(step, at, about))
    return actions


def _dispute_reviews(state: AccountState) -> list[SideAction]:
    """Each dispute is a supervisor's review task, with a reminder every few days while it stays open."""
    clock, policy = state.clock(), state.policy
    actions: list[SideAction] = []
    for dispute in state.disputes:
        invoices = ", ".join(dispute.invoice_ids) or "all"
        disputed = [i for i in state.invoices if not dispute.invoice_ids or i.invoice_id in dispute.invoice_ids]
        about = {
            "assignee_role": "supervisor",
            "dispute_id": dispute.dispute_id,
            "reason": dispute.reason,
            "disputed_invoices": invoices,
            "disputed_amount": str(sum(i.outstanding for i in disputed)),
            "currency": disputed[0].currency if disputed else "",
            "opened_by": dispute.opened_by,
        }
        review = Step(day=0, action=ActionKind.DISPUTE_REVIEW, template="dispute_review",
                      id=f"dispute-{dispute.dispute_id}-review")  # fmt: skip
        actions.append(SideAction(review, dispute.opened_at, about))
        if dispute.state == "open":
            period = policy.disputes.supervisor_reminder_days
            step, at, count = _reminder(state, f"dispute-{dispute.dispute_id}-reminder", ActionKind.SUPERVISOR_REMINDER,
                                        "dispute_reminder", dispute.opened_at, clock.span(period))  # fmt: skip
            actions.append(SideAction(step, at, about | {"open_days": str(count * period)}))
    return actions


def _skip_traces(state: AccountState) -> list[SideAction]:
    """Lost contact is a collector's skip-trace task; so is a letter returned (rules 6): the address is wrong."""
    traces = []
    for letter in state.letters.values() if state.rules >= 6 else []:
        if letter.status == "returned" and letter.at:
            why = f"letter {letter.step} returned ({letter.tracking}): {letter.reason or 'no reason given'}"
            step = Step(day=0, action=ActionKind.SKIP_TRACE, template="skip_trace", id=f"skip-trace-{letter.step}")
            traces.append(SideAction(step, letter.at, {"assignee_role": "collector", "failures": why}))
    if not state.lost_contact:
        return traces
    failures = "; ".join(f"{channel}: {n} consecutive failures" for channel, n in sorted(state.failures.items()))
    trace = Step(day=0, action=ActionKind.SKIP_TRACE, template="skip_trace", id=f"skip-trace-{state.skip_traces}")
    return [*traces, SideAction(trace, state.lost_contact, {"assignee_role": "collector", "failures": failures})]


def _approval_requests(state: AccountState) -> list[SideAction]:
    """Each pending approval is a request to its level, with a reminder every few days while it waits."""
    clock, policy = state.clock(), state.policy
    levels = policy.approvals.levels
    actions: list[SideAction] = []
    for approval in state.approvals.values():
        if approval.state == "pending":
            prefix = f"approval-{approval.step}-L{approval.level}"
            subject = approval.subject or next(s for s in policy.steps if s.key == approval.step).action.value
            about = {"assignee_role": levels[approval.level], "step": approval.step, "action": subject,
                     "level": levels[approval.level], "waiting_days": "0", "needed": levels[approval.needed],
                     "requested_by": approval.requested_by, "about": approval.about}  # fmt: skip
            request = Step(day=0, action=ActionKind.APPROVAL_REQUEST, template="approval_request", id=prefix)
            actions.append(SideAction(request, approval.requested_at, about))
            every = policy.approvals.remind_every_days
            step, at, count = _reminder(state, f"{prefix}-reminder", ActionKind.APPROVAL_REQUEST, "approval_reminder",
                                        approval.requested_at, clock.span(every))  # fmt: skip
            actions.append(SideAction(step, at, about | {"waiting_days": str(count * every)}))
    return actions


def _installment_reminders(state: AccountState) -> list[SideAction]:
    """Before each pending installment of the plan in force: an SMS and an email."""
    clock, policy = state.clock(), state.policy
    actions: list[SideAction] = []
    if state.installment_plan and state.installment_plan.state == "active":
        lead, count = policy.installments.reminder_days_before, len(state.installment_plan.installments)
        for term in state.installment_plan.installments:
            if term.state != "pending":
                continue
            about = {"installment_number": str(term.number), "installment_count": str(count),
                     "installment_amount": str(term.amount), "currency": state.installment_plan.currency,
                     "installment_due": term.due_date.isoformat()}  # fmt: skip
            for action, channel in ((ActionKind.INSTALLMENT_SMS, "sms"), (ActionKind.INSTALLMENT_EMAIL, "email")):
                key = f"plan-{state.installment_plan.plan_id}-{term.number}-{channel}"
                step = Step(day=0, action=action, template="installment_reminder", id=key)
                actions.append(SideAction(step, clock.moment(term.due_date, -lead), about))
    return actions


def unapplied_reviews(state: AccountState) -> list[SideAction]:
    """Money that paid nothing (another currency than the account's, or more than it owed) is a supervisor's task:
    refund it or reallocate it. Sent before the account closes, which then says so (rules 1: see domain.account)."""
    reviews: list[SideAction] = []
    if state.rules < 1:
        return reviews
    for p in (p for p in state.payments if p.unapplied > 0):
        step = Step(day=0, action=ActionKind.SUPERVISOR_REMINDER, template="unapplied_payment",
                    id=f"unapplied-{p.payment_id}")  # fmt: skip
        about = {"assignee_role": "supervisor", "payment_id": p.payment_id, "payment_amount": str(p.amount),
                 "currency": p.currency, "unapplied": str(p.unapplied),
                 "received_at": p.received_at.isoformat()}  # fmt: skip
        reviews.append(SideAction(step, p.received_at, about))
    return reviews


def _reminder(
    state: AccountState, prefix: str, action: ActionKind, template: str, since: datetime, period: timedelta
) -> tuple[Step, datetime, int]:
    """Reminders every `period` after `since`: the next one not yet sent, its time and its number."""
    count = sum(1 for key in state.handled if key.startswith(prefix + "-")) + 1
    return Step(day=0, action=action, template=template, id=f"{prefix}-{count}"), since + count * period, count
