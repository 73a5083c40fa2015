"""The heart: plan(state, now) says what to do next. Pure: no Temporal, no I/O, no wall clock.

Order of concerns: closing conditions, then side actions caused by events (reviews, approvals,
reminders), then holds (promise, plan, pause, whole-balance dispute), then the ladder itself."""

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.account import AccountState
from domain.actions import ActionRequest, PaymentLine
from domain.bounds import phone_country
from domain.caps import caps_allow
from domain.contact_window import country_of, deferral_reason, next_permitted
from domain.kinds import CONTACT_NEEDS, DEBTOR_CONTACT, KINDS, REMOTE_CONTACT, WINDOW_OF_ACTION, WORK, ActionKind
from domain.limitation import limitation
from domain.policy import Step, Window
from domain.side_actions import SideAction, side_actions, unapplied_reviews
from domain.timeline import Timeline


@dataclass(frozen=True)
class Act:
    """Run this step's activity now, then plan again."""

    step: Step
    day: int
    request: ActionRequest
    why: str | None = None  # for the history, when the step is not where the ladder would have it


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
    reason: str | None = None


@dataclass(frozen=True)
class Defer:
    """The step is due but its contact window is closed: wait until it opens (the history says why)."""

    step: Step
    until: datetime
    reason: str
    wake: datetime | None = None  # something else is due sooner: plan again then


@dataclass(frozen=True)
class Close:
    outcome: str
    reason: str


Decision = Act | Skip | Defer | Wait | Close


def timeline(state: AccountState) -> Timeline:
    return state.clock()


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
    return None


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
    if not state.unpaid() and not state.owed_charges():
        if state.installment_plan and state.installment_plan.state == "completed":
            return Close("settled", f"installment plan {state.installment_plan.plan_id} paid in full")
        if state.cancelled and state.total_paid() == 0:
            return Close("cancelled", "the balance was cancelled (a credit note, or a dispute upheld)")
        return Close("paid", "every invoice is paid in full")
    return None


def _missing_detail(state: AccountState, action: ActionKind) -> str | None:
    """Why the debtor cannot be reached by this action: the contact detail it needs is not on file. Letters need a
    postal address from rules 5 (before, they went to a print queue unaddressed)."""
    need = CONTACT_NEEDS.get(action)
    if need == "address" and state.rules < 5:
        return None
    return f"no {need} on file" if need and not getattr(state.debtor, need) else None


def _attempt(state: AccountState, side: SideAction, now: datetime) -> Decision | None:
    """Act on a due side action, skip it, or None to let it wait (contact blocked for now)."""
    step = side.step
    if step.action in DEBTOR_CONTACT:
        if contact_block(state):
            return None
        missing = _missing_detail(state, step.action)
        if missing:
            return Skip(step, _day(state, now), missing)
        if state.lost_contact:
            return Skip(step, _day(state, now), "lost contact: phone and email unreachable")
        deferral = _window(state, step, now)
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


def _confirmed(state: AccountState) -> datetime | None:
    """When the debtor last confirmed the balance (`confirm_balance`), if no invoice joined the account since: a
    confirmation letter would ask again for what is already on record."""
    confirmed = [r.at for r in state.contact_records if r.channel == "confirmation" and r.result == "confirmed"]
    joined = [entry.at for entry in state.history if entry.kind == "invoice"]
    return max(confirmed) if confirmed and (not joined or max(confirmed) > max(joined)) else None


def _step(state: AccountState, step: Step, now: datetime) -> Decision | None:
    """What to do about one ladder step now; None when it has nothing to say (done, or never meant for this
    account)."""
    if step.key in state.handled:
        return _awaited(state, step, now) if step.awaits_result else None
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
        after = _after(state, step, now)
        if after is not None and after > at:
            at = after
        elif after is None:
            return Wait(None, step, reason=f"{step.key} comes after {step.after}")
    confirmed = _confirmed(state) if state.rules >= 4 and step.action == ActionKind.CONFIRMATION_LETTER else None
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
    newer = _newer_due(state, step, now, oldest) if state.rules >= 4 else None
    if newer is not None:
        return Skip(step, past_due, f"superseded by {newer.key}, due as well")
    missing = _missing_detail(state, step.action)
    if missing:
        return Skip(step, past_due, missing)
    if state.lost_contact and step.action in REMOTE_CONTACT:
        return Skip(step, past_due, "lost contact: phone and email unreachable, letters only")
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
    why = f"sent although the {step_stage} stage was over: {_required_before(state, step)}" if late else None
    return _window(state, step, now, ladder=True) or replace(_act(state, step, now, details=details), why=why)


def _required_before(state: AccountState, step: Step) -> str:
    later = [s.key for s in state.policy.steps if s.after == step.key]
    return f"required before {', '.join(later)}" if later else "required before the later steps"


def _newer_due(state: AccountState, step: Step, now: datetime, oldest: date) -> Step | None:
    """A later step of the same kind that is due too (a late entrant, a jump, a day of contacts deferred): the
    debtor gets that one, not both. Required steps and steps with an approval are never superseded."""
    if step.required or step.needs_approval:
        return None
    clock, later = timeline(state), state.policy.steps[state.policy.steps.index(step) + 1 :]
    due = (s for s in later if s.action == step.action and s.key not in state.handled and not s.needs_approval)
    return next((s for s in due if clock.moment(oldest, s.day + state.shift_days) <= now), None)


def _after(state: AccountState, step: Step, now: datetime) -> datetime | None:
    """The earliest moment `step` may come after the step it follows: None until that step is handled; its
    `after_days` after it was done (at the policy's time of day), or at once when it was skipped or failed."""
    assert step.after is not None
    if step.after not in state.handled:
        return None
    done = next((h.at for h in reversed(state.history) if h.step == step.after and h.kind == "action"), None)
    if state.handled[step.after] != "done" or done is None:
        return now
    clock = timeline(state)
    return clock.moment(clock.local_day(done), step.after_days) if step.after_days else done


def _awaited(state: AccountState, step: Step, now: datetime) -> Wait | None:
    """A done step whose task's result the ladder waits for (rules 3): wait until the task is done, at most the
    policy's `awaits_result_days` after it was given; then the ladder goes on without it."""
    item = state.work.get(step.key)
    if state.rules < 3 or item is None or item.state != "open":
        return None
    until = item.given_at + timeline(state).span(state.policy.work.awaits_result_days)
    if now >= until:
        return None
    return Wait(until, reason=f"waiting for the result of {step.key} ({item.kind}) until {until.isoformat()}")


def _window(state: AccountState, step: Step, now: datetime, ladder: bool = False) -> Defer | None:
    """Defer a step that reaches the debtor outside its channel's window (hours, weekdays, public holidays) or
    over its caps; from rules 4 letters keep office hours, and the ladder makes at most
    `ladder_contacts_per_day` debtor contacts a day (so a late entrant or a jump is not a burst)."""
    if state.debtor is None:
        return None
    limits = [_spread(state, now)] if ladder and state.rules >= 4 and step.action in DEBTOR_CONTACT else []
    channel, window = _channel_window(state, step)
    compressed = state.policy.day_seconds is not None  # compressed test time has no hours of the day
    if window is not None and not compressed:
        zone = ZoneInfo(window.timezone or state.debtor.timezone)
        country = country_of(window.timezone) if window.timezone else holiday_country(state)
        limits.append(caps_allow(state, channel, now, zone) if channel else None)
        earliest, why = max(((at, why) for at, why in (lim for lim in limits if lim)), default=(now, None))
        opens = next_permitted(earliest, window, zone, country)
        if opens == now:
            return None
        return Defer(step, opens, why or deferral_reason(now, window, zone, country))
    later = max((lim for lim in limits if lim), default=None)
    return Defer(step, later[0], later[1]) if later else None


def _channel_window(state: AccountState, step: Step) -> tuple[str | None, Window | None]:
    """The channel whose caps govern the step, and the window it keeps (letters: office hours, from rules 4)."""
    channel = WINDOW_OF_ACTION.get(step.action)
    if channel is not None:
        return channel, state.policy.contact.windows.get(channel)
    if state.rules >= 4 and step.action in DEBTOR_CONTACT and KINDS[step.action].output == "letter":
        return None, state.policy.contact.office_hours
    return None, None


def _spread(state: AccountState, now: datetime) -> tuple[datetime, str] | None:
    """Tomorrow at the policy's hour, when the ladder has made today's debtor contacts already."""
    clock, limit = timeline(state), state.policy.contact.ladder_contacts_per_day
    contacts = {s.key for s in state.policy.steps if s.action in DEBTOR_CONTACT}
    today, made = clock.local_day(now), 0
    for entry in reversed(state.history):
        if clock.local_day(entry.at) < today:
            break
        made += entry.kind == "action" and entry.step in contacts
    if made < limit:
        return None
    return clock.moment(today, 1), f"deferred: at most {limit} debtor contact(s) a day from the ladder"


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
    ends = limitation_of(state)
    if ends and not state.with_legal_since:  # the day the handoff margin begins
        times.append(clock.moment(ends[0] - timedelta(days=policy.limitation.margin_days), 0))
    for approval in state.approvals.values():
        if approval.state == "pending" and approval.level + 1 < len(policy.approvals.levels):
            times.append(approval.requested_at + clock.span(policy.approvals.escalate_after_days))
    return times


def holiday_country(state: AccountState) -> str | None:
    """Whose public holidays hold: the debtor's stated country, else (rules 2) their phone's, else their timezone's."""
    assert state.debtor is not None
    debtor = state.debtor
    return country_of(debtor.timezone, debtor.country or (phone_country(debtor.phone) if state.rules >= 2 else None))


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
        letters=list(state.letters.values()) if step.action is ActionKind.LITIGATION else [],
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
