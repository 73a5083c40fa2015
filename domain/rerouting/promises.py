"""promise_to_pay: the ladder holds until the promised date plus grace, when settle() judges the promise."""

from datetime import datetime

from domain.account import AccountState
from domain.agreements import open_agreement
from domain.arrangements import Promise
from domain.commands import PromiseToPay
from domain.planner import timeline
from domain.rerouting.common import CommandRejected, _open, _record, _refuse_once_bankrupt_or_with_legal, seen


def check_promise(state: AccountState, command: PromiseToPay, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    rules, clock = state.policy.promises, timeline(state)
    today = clock.local_day(now)
    balance = state.balances(now).get(command.currency)
    if balance is None:
        raise CommandRejected(f"no balance in {command.currency} on this account")
    if command.amount > balance:
        raise CommandRejected(f"amount {command.amount} is more than the balance {balance} {command.currency}")
    if command.promised_date <= today:
        raise CommandRejected(f"promised date {command.promised_date} is not in the future (today is {today})")
    if (command.promised_date - today).days > rules.max_horizon_days:
        raise CommandRejected(f"promised date is more than {rules.max_horizon_days} days ahead (policy)")
    if sum(p.state == "open" for p in state.promises) >= rules.max_open:
        raise CommandRejected(f"already {rules.max_open} open promise(s) (policy)")
    broken = sum(p.state == "broken" for p in state.promises)
    if broken >= rules.max_broken:
        raise CommandRejected(f"{broken} promises broken: no more promises accepted (policy limit {rules.max_broken})")
    _refuse_once_bankrupt_or_with_legal(state, "promises")


def apply_promise(state: AccountState, command: PromiseToPay, now: datetime) -> None:
    if seen(state, command):
        return
    state.promises.append(
        Promise(promise_id=command.command_id, amount=command.amount, currency=command.currency,
                promised_date=command.promised_date, taken_by=command.by, made_at=now,
                paid_before=state.total_paid())
    )  # fmt: skip
    _record(state, command, now, "promise_to_pay", f"{command.amount} {command.currency} by {command.promised_date}")
    threshold = state.policy.agreements.promise_threshold
    if threshold is not None and command.amount >= threshold:
        open_agreement(state, "promise", command.command_id, now)
