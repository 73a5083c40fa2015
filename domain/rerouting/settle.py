"""What time alone decides, before every plan: a pause ends, a promise is judged, an installment is paid or missed,
an approval escalates, the limitation period nears; the ladder keeps its held days, jumps, charges its fees and asks
for the approvals its next step needs."""

from datetime import datetime, timedelta
from decimal import Decimal

from domain.account import AccountState
from domain.money import to_minor
from domain.planner import (
    hold,
    ladder_day,
    limitation_of,
    stage,
    step_awaiting_approval,
    time_barred,
    timeline,
)
from domain.rerouting.common import request_approval
from domain.rerouting.placements import recall_when_due
from domain.rerouting.settlements import settle_offers
from domain.suit_costs import cost_of_suing


def settle(state: AccountState, now: datetime) -> None:
    """Apply what the passing of time decides, in the order a collector would."""
    if state.outcome or not state.invoices or state.debtor is None:
        return
    state.accrue(now)  # before a plan's end or a default changes whether interest runs
    _end_pause(state, now)
    broken = _judge_promise(state, now)
    defaulted = _follow_installment_plan(state, now)
    settle_offers(state, now)
    recall_when_due(state, now)
    _escalate_approvals(state, now)
    _account_held_days(state, now)
    _presume_deliveries(state, now)
    handover = _hand_over_before_limitation(state, now)
    jump_to = defaulted if defaulted is not None else broken  # a defaulted plan's stage wins over a broken promise's
    if handover is not None:
        jump_to = max(jump_to or 0, handover)
    if jump_to is not None:
        _jump(state, now, jump_to)
    _charge_fees(state, now)
    _ask_approval(state, now)


def _end_pause(state: AccountState, now: datetime) -> None:
    """A pause whose end has come ends as planned."""
    pause = state.active_pause()
    if pause and pause.until <= now:
        pause.ended_at = pause.until
        state.log(now, "resumed", f"pause {pause.pause_id} ended as planned")


def _judge_promise(state: AccountState, now: datetime) -> int | None:
    """Judge the open promise once its date and grace are past: kept if the amount was paid since. Broken: the day
    the ladder jumps to (the next stage's, if the policy says so)."""
    clock, policy = timeline(state), state.policy
    promise = state.open_promise()
    if not promise or now < clock.moment(promise.promised_date, policy.promises.grace_days):
        return None
    paid = state.total_paid() - promise.paid_before
    promise.judged_at = now
    if paid >= promise.amount:
        promise.state = "kept"
        state.log(now, "resumed", f"promise {promise.promise_id} kept ({paid} paid): the ladder resumes")
        return None
    promise.state = "broken"
    broken = sum(p.state == "broken" for p in state.promises)
    state.log(now, "resumed", f"promise {promise.promise_id} broken ({paid} of {promise.amount} paid); "
              f"{broken} broken so far")  # fmt: skip
    if policy.promises.on_broken == "next_stage":
        return policy.next_stage_day(ladder_day(state, now) or 0)
    return None


def _follow_installment_plan(state: AccountState, now: datetime) -> int | None:
    """Mark the installments paid so far; one missed past its grace defaults the plan: the day the ladder jumps to
    (the policy's default stage). All paid: the plan is completed."""
    clock, policy = timeline(state), state.policy
    installment_plan = state.installment_plan
    if not installment_plan or installment_plan.state != "active":
        return None
    jump_to = None
    state.charge_plan_interest(now)
    paid = state.total_paid() - installment_plan.paid_before
    covered = Decimal(0)
    for term in installment_plan.installments:
        covered += term.amount
        if term.state == "pending" and paid >= covered:
            term.state = "paid"
            state.log(now, "payment", f"installment {term.number} of plan {installment_plan.plan_id} paid")
        elif term.state == "pending" and now >= clock.moment(term.due_date, policy.installments.grace_days):
            term.state, installment_plan.state = "missed", "defaulted"
            state.log(
                now, "resumed", f"installment {term.number} of plan {installment_plan.plan_id} missed: plan defaulted"
            )
            jump_to = policy.stage_start(policy.installments.on_default_stage)
            break
    if installment_plan.state == "active" and all(t.state == "paid" for t in installment_plan.installments):
        installment_plan.state = "completed"
    return jump_to


def _escalate_approvals(state: AccountState, now: datetime) -> None:
    """An approval left pending too long goes to the next level up."""
    clock, policy = timeline(state), state.policy
    for approval in state.approvals.values():
        deadline = approval.requested_at + clock.span(policy.approvals.escalate_after_days)
        if approval.state == "pending" and approval.level + 1 < len(policy.approvals.levels) and now >= deadline:
            approval.level += 1
            approval.requested_at = now
            state.log(
                now, "deferred", f"approval of {approval.step} escalated to {policy.approvals.levels[approval.level]}"
            )


def _presume_deliveries(state: AccountState, now: datetime) -> None:
    """Where the policy presumes delivery, a letter posted and neither delivered nor returned that long after is
    presumed delivered (rules 6): a courier's later report still says what happened."""
    days = state.policy.limitation.presumed_delivery_days
    if state.rules < 6 or days is None:
        return
    for letter in state.letters.values():
        if letter.status == "in_transit" and letter.posted_at and now >= letter.posted_at + timedelta(days=days):
            letter.status, letter.at = "presumed", letter.posted_at + timedelta(days=days)
            state.log(now, "event", f"{letter.step} presumed delivered {days} days after posting ({letter.tracking})")


def _hand_over_before_limitation(state: AccountState, now: datetime) -> int | None:
    """Within the margin before the limitation period ends, a debt not yet with legal goes there: the legal stage's
    first day, if the ladder is not there yet."""
    clock, policy = timeline(state), state.policy
    ends = limitation_of(state)
    legal = policy.stage_start(policy.limitation.legal_stage)
    margin = timedelta(days=policy.limitation.margin_days)
    if ends and not state.with_legal_since and not time_barred(state, now) and clock.local_day(now) >= ends[0] - margin:
        day = ladder_day(state, now)
        if day is not None and day < legal:
            state.log(now, "resumed", f"the limitation period ends {ends[0]}: handing over to legal now")
            return legal
    return None


def _ask_approval(state: AccountState, now: datetime) -> None:
    """A due ladder step that needs an approval nobody has asked for: ask the level it needs."""
    step = step_awaiting_approval(state, now)
    if step is not None:
        cost = cost_of_suing(state, now) if step.hands_to_legal else None  # the approver sees the cost test
        request_approval(state, now, step.key, step.action.value, about=cost.describe() if cost else "")


def _charge_fees(state: AccountState, now: datetime) -> None:
    """Charge the late fee of the stage the account is in, once per stage and currency."""
    current = stage(state, now)
    if current is None or hold(state):
        return
    for fee in state.policy.money.fees:
        if fee.stage != current:
            continue
        principal: dict[str, Decimal] = {}
        for invoice in state.collectible():
            principal[invoice.currency] = principal.get(invoice.currency, Decimal(0)) + invoice.outstanding
        for currency, owed in sorted(principal.items()):
            charge_id = f"fee-{fee.stage}-{currency}"
            if owed <= 0 or any(c.charge_id == charge_id for c in state.charges):
                continue
            amount = fee.amounts.get(currency)
            if amount is None and fee.percent is not None:
                amount = to_minor(owed * fee.percent / 100, currency)
            if amount:
                state.charge_fee(now, charge_id, fee.stage, currency, amount)


def _account_held_days(state: AccountState, now: datetime) -> None:
    """While held, the ladder's clock stops: when the hold ends its days are added to every deadline."""
    reason = hold(state)
    if reason and state.held_since is None:
        state.held_since = now
        state.log(now, "deferred", f"ladder paused: {reason}")
    elif not reason and state.held_since is not None:
        days = timeline(state).days_between(state.held_since, now)
        state.shift_days += days
        state.held_since = None
        state.log(now, "resumed", f"ladder resumed after {days} day(s) held; its deadlines move by as much")


def _jump(state: AccountState, now: datetime, target_day: int | None) -> None:
    """Move the ladder forward to `target_day` now (never backward)."""
    day = ladder_day(state, now)
    if target_day is None or day is None or day >= target_day:
        return
    state.shift_days -= target_day - day
    state.log(now, "resumed", f"ladder moved from day {day} to day {target_day} ({state.policy.stage_at(target_day)})")
