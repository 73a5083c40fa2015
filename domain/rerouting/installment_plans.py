"""agree_installment_plan: installments that cover the whole balance; settle() follows them as they fall due."""

import itertools
from datetime import datetime, timedelta

from domain.account import AccountState
from domain.arrangements import Installment, InstallmentPlan
from domain.commands import AgreeInstallmentPlan, total
from domain.planner import timeline
from domain.rerouting.common import CommandRejected, _open, _record, _refuse_once_bankrupt_or_with_legal, seen


def check_installment_plan(state: AccountState, command: AgreeInstallmentPlan, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    rules, terms = state.policy.installments, command.installments
    if not rules.min_count <= len(terms) <= rules.max_count:
        raise CommandRejected(
            f"a plan has {rules.min_count} to {rules.max_count} installments (policy), got {len(terms)}"
        )
    balances = state.balances(now)
    balance = balances.get(command.currency)
    if balance is None or len(balances) != 1:
        raise CommandRejected(f"a plan covers the whole balance, which is not all in {command.currency}")
    if total(terms) != balance:
        raise CommandRejected(f"installments sum to {total(terms)}, the balance is {balance} {command.currency}")
    dates = [t.due_date for t in terms]
    if any(later <= earlier for earlier, later in itertools.pairwise(dates)):
        raise CommandRejected("installment dates must be strictly increasing")
    today = timeline(state).local_day(now)
    if not today < dates[0] <= today + timedelta(days=rules.first_within_days):
        raise CommandRejected(f"the first installment must fall within the next {rules.first_within_days} days")
    if state.installment_plan and state.installment_plan.state == "active":
        raise CommandRejected(f"plan {state.installment_plan.plan_id} is already in force")
    _refuse_once_bankrupt_or_with_legal(state, "plans")


def apply_installment_plan(state: AccountState, command: AgreeInstallmentPlan, now: datetime) -> None:
    if seen(state, command):
        return
    state.accrue(now)  # interest stops while the plan is in force: it covers the balance as of today
    state.installment_plan = InstallmentPlan(
        plan_id=command.command_id,
        currency=command.currency,
        agreed_by=command.by,
        agreed_at=now,
        paid_before=state.total_paid(),
        installments=[Installment(number=n, amount=t.amount, due_date=t.due_date)
                      for n, t in enumerate(command.installments, start=1)],
    )  # fmt: skip
    terms = ", ".join(f"{t.amount} on {t.due_date}" for t in command.installments)
    _record(state, command, now, "agree_installment_plan", f"{len(command.installments)} installments: {terms}")
