"""The heart: plan(state, now) says what to do next. Pure: no Temporal, no I/O, no wall clock.

Order of concerns: closing conditions, then side actions caused by events (reviews, approvals,
reminders), then holds (promise, plan, pause, whole-balance dispute), then the ladder itself."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

from domain.account import AccountState
from domain.actions import ActionRequest, PaymentLine
from domain.agencies import active, recall_at
from domain.agreements import agreed_plan
from domain.bounds import phone_country
from domain.decisions import Act, Close, Decision, Defer, Skip, Wait
from domain.kinds import DEBTOR_CONTACT, KINDS, REMOTE_CONTACT, WORK, ActionKind
from domain.ladder_order import after_moment, approval_step_due, awaited, confirmed_at, newer_due, required_before
from domain.lawyer_letters import firm_gate
from domain.limitation import limitation
from domain.pacing import missing_detail, pace, unreachable_by_post
from domain.policy import Step
from domain.side_actions import SideAction, side_actions, unapplied_reviews
from domain.timeline import Timeline


def timeline(state: AccountState) -> Timeline:
    return state.clock()


HANDOVERS = (ActionKind.LITIGATION, ActionKind.AGENCY_PLACEMENT)  # their requests carry the letters sent


def days_past_due(state: AccountState, now: datetime) -> int | None:
    oldest = state.oldest_due_date()
    return None if oldest is None else timeline(state).days_past(oldest, now)


def ladder_day(state: AccountState, now: datetime) -> int | None:
    """Where the ladder stands: days past the oldest collectible due date, less held days, plus jumps. While a hold
    lasts the ladder's clock is stopped, so its day (and the stage) stays where the hold found it."""
    oldest = state.oldest_collectible_due_date()
    return None if oldest is None else timeline(state).days_past(oldest, now) - held_days(state, now)


def held_days(state: AccountState, now: datetime) -> int:
    """Ladder days to subtract: those of past holds (less jumps ahead), and those of the hold still running."""
    if state.held_since is None or state.rules < 1:
        return state.shift_days
    return state.shift_days + timeline(state).days_between(state.held_since, now)


def stage(state: AccountState, now: datetime) -> str | None:
    day = ladder_day(state, now)
    if day is None:
        return None
    current, cap = state.policy.stage_at(day), state.stage_cap
    if cap and state.policy.stage_rank(current) > state.policy.stage_rank(cap):
        return cap
    return current


def contact_block(state: AccountState) -> str | None:
    """Why the debtor may not be contacted at all right now, if so."""
    if state.bankruptcy:
        return "bankruptcy reported"
    if state.cease_communication:
        return f"cease-communication request: {state.cease_communication}"
    pause = state.active_pause()
    if pause:
        return f"paused by {pause.by} until {pause.until.isoformat()}: {pause.reason}"
    if state.disputed_ids() is None or (state.unpaid() and not state.collectible()):
        return "the whole balance is disputed"
    return None


def hold(state: AccountState) -> str | None:
    """Why the ladder is paused (its deadlines move by the time held), if so."""
    block = contact_block(state)
    if block:
        return block
    promise = state.open_promise()
    if promise:
        return f"promise {promise.promise_id} to pay {promise.amount} {promise.currency} by {promise.promised_date}"
    if state.installment_plan and state.installment_plan.state == "active":
        return f"installment plan {state.installment_plan.plan_id} in force"
    offer = next((s for s in state.settlements if s.state == "offered"), None)
    if offer:
        return f"settlement {offer.settlement_id} offered: {offer.terms()}"
    placed = active(state.placements)
    return f"placed with agency {placed.agency_id} since {placed.placed_at:%Y-%m-%d}" if placed else None


def plan(state: AccountState, now: datetime) -> Decision:
    if state.outcome is not None:
        return Close(state.outcome, "already closed")
    if not state.invoices:
        return Wait(None)
    closing = closing_now(state)
    if closing:
        review = next((s for s in unapplied_reviews(state) if s.step.key not in state.handled), None)
        return _act(state, review.step, now, details=review.details) if review else closing
    if state.bankruptcy:
        claim = SideAction(
            Step(day=0, action=ActionKind.CLAIM_FILING, template="claim_filing", id="bankruptcy-claim"),
            state.bankruptcy.reported_at,
            {"assignee_role": "legal", "reported_by": state.bankruptcy.reported_by,
             "case_reference": state.bankruptcy.case_reference, "note": state.bankruptcy.note},
        )  # fmt: skip
        if claim.step.key in state.handled:
            return Close("bankrupt", "bankruptcy reported; claim filing handed to legal")
        return _act(state, claim.step, now, details=claim.details)

    wakes = [t for t in transition_times(state) if t > now]
    for side in side_actions(state):
        if side.step.key in state.handled:
            continue
        if side.at > now:
            wakes.append(side.at)
            continue
        decision = _attempt(state, side, now)
        if isinstance(decision, Defer):
            wakes.append(decision.until)  # a side action outside its window: try again when it opens
        elif decision is not None:
            return decision
    if state.with_legal_since:
        return Wait(min(wakes, default=None), reason="with the legal team")
    held = hold(state)
    if held:
        return Wait(min(wakes, default=None), reason=held)
    ladder = _ladder(state, now)
    if isinstance(ladder, Wait) and wakes and (ladder.until is None or min(wakes) < ladder.until):
        return Wait(min(wakes), ladder.step if ladder.until is None else None, ladder.reason)
    if isinstance(ladder, Defer) and wakes and min(wakes) < ladder.until:
        return replace(ladder, wake=min(wakes))
    return ladder


def closing_now(state: AccountState) -> Close | None:
    """How the account closes now (written off, paid...), if it does: the workflow records it next."""
    closing = _closing_outcome(state)
    unapplied = state.unapplied()
    if closing and unapplied:
        money = ", ".join(f"{amount} {currency}" for currency, amount in sorted(unapplied.items()))
        return replace(closing, reason=f"{closing.reason}; {money} received but unapplied: a supervisor reviews it "
                                       "(refund or reallocation)")  # fmt: skip
    return closing


def _closing_outcome(state: AccountState) -> Close | None:
    if state.write_off:
        return Close("written_off", state.write_off)
    if state.legal_outcome:
        return Close(state.legal_outcome, "legal outcome reported")
    settled = next((s for s in state.settlements if s.state == "settled"), None)
    if settled and not state.unpaid() and not state.owed_charges():
        return Close("settled", f"settlement {settled.settlement_id} paid: {settled.pay} {settled.currency}; waived "
                                f"interest {settled.waived_interest}, fees {settled.waived_fees}, principal "
                                f"{settled.discount}")  # fmt: skip
    if not state.unpaid() and not state.owed_charges():
        if state.installment_plan and state.installment_plan.state == "completed":
            return Close("settled", f"installment plan {state.installment_plan.plan_id} paid in full")
        if state.cancelled and state.total_paid() == 0:
            return Close("cancelled", "the balance was cancelled (a credit note, or a dispute upheld)")
        return Close("paid", "every invoice is paid in full")
    return None


def _attempt(state: AccountState, side: SideAction, now: datetime) -> Decision | None:
    """Act on a due side action, skip it, or None to let it wait (contact blocked for now)."""
    step = side.step
    if step.action in DEBTOR_CONTACT:
        if contact_block(state):
            return None
        missing = missing_detail(state, step.action)
        if missing:
            return Skip(step, _day(state, now), missing)
        if state.lost_contact:
            return Skip(step, _day(state, now), "lost contact: phone and email unreachable")
        deferral = pace(state, step, now)
        if deferral:
            return deferral
    return _act(state, step, now, details=side.details)


def _ladder(state: AccountState, now: datetime) -> Decision:
    """The first ladder step that is due, in ladder order. From rules 4 a step waiting for its window (or for
    tomorrow, when today's debtor contacts are made) lets later due steps go meanwhile, except that no debtor
    contact overtakes a required step."""
    deferred: Defer | None = None
    required_waits = False
    for step in state.policy.steps:
        decision = _step(state, step, now)
        if decision is None:
            continue
        if state.rules < 4:
            return decision
        if isinstance(decision, Defer):
            deferred = deferred or decision
            required_waits = required_waits or step.required
            continue
        if required_waits and isinstance(decision, Act) and step.action in DEBTOR_CONTACT:
            continue
        if deferred is None:
            return decision
        if isinstance(decision, Wait):
            sooner = decision.until is not None and decision.until < deferred.until
            return replace(deferred, wake=decision.until) if sooner else deferred
        return decision
    return deferred or Wait(None)


def _step(state: AccountState, step: Step, now: datetime) -> Decision | None:
    """What to do about one ladder step now; None when it has nothing to say (done, or never meant for this
    account)."""
    if step.key in state.handled:
        return awaited(state, step, now) if step.awaits_result else None
    oldest = state.oldest_collectible_due_date()
    assert oldest is not None  # holds cover "nothing collectible"
    policy, clock = state.policy, timeline(state)
    day = clock.days_past(oldest, now) - held_days(state, now)
    current_stage = policy.stage_at(day)
    approval = state.approvals.get(step.key)
    past_due = _day(state, now)  # what the debtor sees: real days past due, not the ladder's day
    if approval and approval.state == "rejected":
        return Skip(step, past_due, f"rejected by {approval.decided_by}: {approval.reason}")
    step_stage = policy.stage_at(step.day)
    if state.stage_cap and policy.stage_rank(step_stage) > policy.stage_rank(state.stage_cap):
        return Wait(None, reason=f"held in the {state.stage_cap} stage")
    at = clock.moment(oldest, step.day + state.shift_days)
    if state.rules >= 4 and step_stage == "pre_due":
        # A step before the due date is for accounts known on its day: one first seen later never had it (no record).
        if state.opened_day is None or clock.local_day(at) < state.opened_day:
            return None
        if current_stage != "pre_due":
            return Skip(step, past_due, "the due date had passed")
    if state.rules >= 4 and step.after is not None:
        after = after_moment(state, step, now)
        if after is not None and after > at:
            at = after
        elif after is None:
            return Wait(None, step, reason=f"{step.key} comes after {step.after}")
    confirmed = confirmed_at(state) if state.rules >= 4 and step.action == ActionKind.CONFIRMATION_LETTER else None
    if confirmed is not None and at > now:
        return None  # not the next action: skipped when the ladder passes its day, unless an invoice joins first
    if at > now:
        return Wait(at, step)
    if confirmed is not None:
        return Skip(step, past_due, f"the balance was confirmed on {confirmed:%Y-%m-%d} and no invoice joined since")
    barred = time_barred(state, now)
    if barred and policy.stage_rank(step_stage) >= policy.stage_rank(policy.limitation.legal_stage):
        return Skip(step, past_due, barred)
    late = approval is None and policy.stage_rank(step_stage) < policy.stage_rank(current_stage)
    if late and not (step.required and state.rules >= 4):
        # An account that arrives (or jumps) past a stage does not get that stage's steps, but for the required
        # ones. A step with an approval request was reached in time: its approval decides, however long it takes.
        return Skip(step, past_due, f"the {step_stage} stage was already over (ladder at day {day}, {current_stage})")
    newer = newer_due(state, step, now, oldest) if state.rules >= 4 else None
    if newer is not None:
        return Skip(step, past_due, f"superseded by {newer.key}, due as well")
    missing = missing_detail(state, step.action)
    if missing:
        return Skip(step, past_due, missing)
    if state.lost_contact and step.action in REMOTE_CONTACT:
        return Skip(step, past_due, "lost contact: phone and email unreachable, letters only")
    if unreachable_by_post(state) and KINDS[step.action].output == "letter":
        return Skip(step, past_due, "lost contact: phone and email unreachable, and letters come back (returned)")
    details: dict[str, str] = {}
    if step.level:
        details |= {"assignee_role": step.level, "escalated_to": step.level}
    superseded = state.superseded_by(step.action) if state.rules >= 4 and step.action in WORK else []
    if superseded:
        details["supersedes"] = ",".join(item.key for item in superseded)
    if step.needs_approval:
        if approval is None or approval.state == "pending":
            return Wait(None, step, reason=f"{step.key} awaits approval")
        details["approved_by"] = approval.decided_by or ""
    if step.action == ActionKind.LAWYER_LETTER and state.rules >= 7:
        gate = firm_gate(state, step, past_due)
        if isinstance(gate, Step):  # the draft, to the law firm through legal: no debtor contact, nothing to pace
            about = {"letter_step": step.key, "deadline_days": str(step.deadline_days or 0)}
            return _act(state, gate, now, details=about)
        if not isinstance(gate, dict):
            return gate
        details |= gate
    why = f"sent although the {step_stage} stage was over: {required_before(state, step)}" if late else None
    return pace(state, step, now, ladder=True) or replace(_act(state, step, now, details=details), why=why)


def limitation_of(state: AccountState) -> tuple[date, str] | None:
    return limitation(state, timeline(state).local_day) if state.invoices else None


def time_barred(state: AccountState, now: datetime) -> str | None:
    """Why legal action is barred now (the limitation period has ended and no supervisor overrode it)."""
    ends = limitation_of(state)
    if ends is None or state.limitation_override or timeline(state).local_day(now) <= ends[0]:
        return None
    return f"time-barred: the limitation period ended {ends[0]} (last started: {ends[1]})"


def step_awaiting_approval(state: AccountState, now: datetime) -> Step | None:
    """The ladder step that is due and needs an approval nobody has asked for yet (settle() asks)."""
    if state.outcome or state.bankruptcy or hold(state) or state.with_legal_since or not state.collectible():
        return None
    if not approval_step_due(state, now):
        return None  # the ladder need not be asked
    decision = _ladder(state, now)
    if isinstance(decision, Wait) and decision.step and decision.step.key not in state.approvals:
        return decision.step if decision.until is None else None
    return None


def transition_times(state: AccountState) -> list[datetime]:
    """When settle() has something to decide: promise and installment deadlines, pause ends, escalations."""
    clock, policy = timeline(state), state.policy
    times = []
    promise = state.open_promise()
    if promise:
        times.append(clock.moment(promise.promised_date, policy.promises.grace_days))
    if state.installment_plan and state.installment_plan.state == "active":
        grace = policy.installments.grace_days
        times += [clock.moment(t.due_date, grace) for t in state.installment_plan.installments if t.state == "pending"]
    pause = state.active_pause()
    if pause:
        times.append(pause.until)
    times += [s.lapses_at(clock) for s in state.settlements if s.state == "offered"]
    placed = active(state.placements)
    if placed:
        times.append(recall_at(placed, policy.agencies[placed.agency_id]))
    ends = limitation_of(state)
    if ends and not state.with_legal_since:  # the day the handoff margin begins
        times.append(clock.moment(ends[0] - timedelta(days=policy.limitation.margin_days), 0))
    for approval in state.approvals.values():
        if approval.state == "pending" and approval.level + 1 < len(policy.approvals.levels):
            times.append(approval.requested_at + clock.span(policy.approvals.escalate_after_days))
    return times


def _day(state: AccountState, now: datetime) -> int:
    return days_past_due(state, now) or 0


def _act(
    state: AccountState, step: Step, now: datetime, day: int | None = None, details: dict[str, str] | None = None
) -> Act:
    day = _day(state, now) if day is None else day
    return Act(step, day, build_request(state, step, day, now, dict(details or {})))


def build_request(state: AccountState, step: Step, day: int, now: datetime, details: dict[str, str]) -> ActionRequest:
    assert state.debtor is not None
    today = timeline(state).local_day(now)
    invoices = state.collectible() or state.unpaid()
    return ActionRequest(
        idempotency_key=state.idempotency_key(step.key),
        account_id=state.account_id,
        action=step.action,
        step=step.key,
        template=step.template,
        stage=stage(state, now) or state.policy.stage_at(day),
        debtor=state.debtor,
        creditor=state.creditor_id(),
        invoices=state.invoice_lines(now, sorted(invoices, key=lambda i: (i.due_date, i.invoice_id))),
        balances=state.balance_lines(now),
        days_past_due=day,
        oldest_due_date=state.oldest_due_date() or today,
        today=today,
        deadline=None if step.deadline_days is None else today + timedelta(days=step.deadline_days),
        planned_at=now,
        assignee_role=details.pop("assignee_role", None),
        due_at=state.work_due(now, step) if KINDS[step.action].output == "task" else None,
        team=state.policy.work.team_for(state.debtor.segment, state.debtor.country or phone_country(state.debtor.phone),
                                        max(state.balances(now).values(), default=Decimal(0))),
        details=details,
        workflow_id=state.workflow_id,
        policy=f"{state.policy.name} v{state.policy.version}",
        payments=[PaymentLine(payment_id=p.payment_id, amount=p.amount, currency=p.currency, received_at=p.received_at,
                              allocations=p.allocations) for p in state.payments],
        promises=state.promises,
        letters=list(state.letters.values()) if step.action in HANDOVERS else [],
        settlements=state.settlements if step.action is ActionKind.LITIGATION else [],
        installment_plan=agreed_plan(state, step, details),
        handoff_reason=_handoff_reason(state, day, now) if step.hands_to_legal else None,
        fees=state.charges,
        interest_terms=state.interest_terms(),
        allocation_order=list(state.policy.money.allocation),
    )  # fmt: skip


def _handoff_reason(state: AccountState, day: int, now: datetime) -> str:
    balance = ", ".join(f"{b.amount} {b.currency}" for b in state.balance_lines(now))
    broken = sum(p.state == "broken" for p in state.promises)
    return (
        f"{balance} unpaid {day} days past due after the whole {state.policy.name} ladder "
        f"(demand letter, final notice, lawyer's letter); {broken} broken promise(s)"
    )
