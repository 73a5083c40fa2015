"""agree_installment_plan: installments that cover the whole balance; settle() follows them as they fall due.

A plan outside the policy's limits (more or fewer installments, a first one later, a longer horizon) is refused
before rules 3; from rules 3 it becomes an approval request (seed 000: special payment arrangements need
multi-level approval), and takes effect when approved."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from domain.account import AccountState
from domain.agreements import open_agreement
from domain.arrangements import Charge, Installment, InstallmentPlan
from domain.authority import INSTALLMENT_PLAN
from domain.commands import AgreeInstallmentPlan, total
from domain.money import to_minor
from domain.planner import timeline
from domain.rerouting.common import (
    CommandRejected,
    _open,
    _record,
    _refuse_once_bankrupt_or_with_legal,
    request_approval,
    seen,
)


def check_installment_plan(state: AccountState, command: AgreeInstallmentPlan, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    terms = command.installments
    balances = state.balances(now)
    balance = balances.get(command.currency)
    if balance is None or len(balances) != 1:
        raise CommandRejected(f"a plan covers the whole balance, which is not all in {command.currency}")
    if total(terms) != balance:
        raise CommandRejected(f"installments sum to {total(terms)}, the balance is {balance} {command.currency}")
    dates = [t.due_date for t in terms]
    if any(later <= earlier for earlier, later in itertools.pairwise(dates)):
        raise CommandRejected("installment dates must be strictly increasing")
    if dates[0] <= timeline(state).local_day(now):
        raise CommandRejected("the first installment must fall after today")
    if state.installment_plan and state.installment_plan.state == "active":
        raise CommandRejected(f"plan {state.installment_plan.plan_id} is already in force")
    if any(a.plan is not None and a.state == "pending" for a in state.approvals.values()):
        raise CommandRejected("another plan already waits for approval")
    _refuse_once_bankrupt_or_with_legal(state, "plans")
    beyond = outside_limits(state, command, now)
    if beyond and state.rules < 3:
        raise CommandRejected(beyond[0])


def outside_limits(state: AccountState, command: AgreeInstallmentPlan, now: datetime) -> list[str]:
    """How the plan goes beyond what the policy lets a collector agree alone."""
    rules, dates = state.policy.installments, [t.due_date for t in command.installments]
    today, count = timeline(state).local_day(now), len(dates)
    beyond = []
    if not rules.min_count <= count <= rules.max_count:
        beyond.append(f"a plan has {rules.min_count} to {rules.max_count} installments (policy), got {count}")
    if dates[0] > today + timedelta(days=rules.first_within_days):
        beyond.append(f"the first installment must fall within the next {rules.first_within_days} days")
    if rules.max_horizon_days is not None and dates[-1] > today + timedelta(days=rules.max_horizon_days):
        beyond.append(f"the last installment must fall within {rules.max_horizon_days} days (policy)")
    return beyond


def apply_installment_plan(state: AccountState, command: AgreeInstallmentPlan, now: datetime) -> None:
    if seen(state, command):
        return
    terms = ", ".join(f"{t.amount} on {t.due_date}" for t in command.installments)
    beyond = outside_limits(state, command, now)
    if beyond:
        key = f"plan-{command.command_id}"[:128]
        _record(state, command, now, "agree_installment_plan", f"{len(command.installments)} installments: {terms}; "
                f"outside the policy's limits, {key} waits for approval")  # fmt: skip
        request_approval(state, now, key, INSTALLMENT_PLAN, command.by, "; ".join(beyond), plan=command)
        return
    put_in_force(state, command, now)
    _record(state, command, now, "agree_installment_plan", f"{len(command.installments)} installments: {terms}")


def installments(command: AgreeInstallmentPlan) -> list[Installment]:
    """The plan's installments, each with all it asks: its principal, the fee with the first, and from the first after
    the `interest_free` ones, interest at `daily_rate` on the principal still owed since the installment before."""
    terms, rate, free = command.installments, command.daily_rate or Decimal(0), command.interest_free or 0
    owed = total(terms)
    plan: list[Installment] = []
    for n, term in enumerate(terms, start=1):
        fee = (command.fee or Decimal(0)) if n == 1 else Decimal(0)
        interest = Decimal(0)
        if n > free and rate and n > 1:
            interest = to_minor(owed * rate * (term.due_date - terms[n - 2].due_date).days, command.currency)
        plan.append(Installment(number=n, amount=term.amount + fee + interest, due_date=term.due_date, fee=fee,
                                interest=interest, down_payment=command.down_payment and n == 1))  # fmt: skip
        owed -= term.amount
    return plan


def put_in_force(state: AccountState, command: AgreeInstallmentPlan, now: datetime, approved_by: str = "") -> None:
    state.accrue(now)  # interest stops while the plan is in force: it covers the balance as of today
    state.installment_plan = InstallmentPlan(
        plan_id=command.command_id,
        currency=command.currency,
        agreed_by=command.by + (f", approved by {approved_by}" if approved_by else ""),
        agreed_at=now,
        paid_before=state.total_paid(),
        installments=installments(command),
    )  # fmt: skip
    if command.fee:  # seed 001's small fee: owed from the agreement, paid with the first installment (as a cost)
        state.charges.append(Charge(charge_id=f"plan-{command.command_id}-fee", stage="plan", currency=command.currency,
                                    amount=command.fee, charged_at=now))  # fmt: skip
    if open_agreement(state, "installment_plan", command.command_id, now) and state.policy.agreements.in_force == (
        "on_signature"
    ):
        state.installment_plan.state = "awaiting_signature"
        state.log(now, "event", f"plan {command.command_id} takes effect once its agreement is signed")
    if approved_by:
        balance = state.balances(now).get(command.currency, Decimal(0))
        if total(command.installments) != balance:  # paid meanwhile: the plan still ends when the balance is paid
            state.log(now, "event", f"plan {command.command_id} in force; the balance is now {balance}")
