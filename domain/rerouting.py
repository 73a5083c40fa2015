"""Re-routing: what each command or fact does to an account, and what time alone decides.

For every update there is a `check_*` (the validator: raises CommandRejected, changes nothing) and an
`apply_*` (the effect, recorded in the history). Commands are idempotent by `command_id`: a repeat is a
no-op that passes the check; the same id with other content is a conflict (`conflict`), refused by the validators
and, for signals, recorded as refused. `settle(state, now)` applies what time decides (a promise falls due, an
installment is missed, a pause ends, an approval escalates) and keeps the ladder's held-days account."""

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

from domain.account import ACCOUNT_FULL, AccountState
from domain.arrangements import (
    Approval,
    Bankruptcy,
    ContactMade,
    Dispute,
    Installment,
    InstallmentPlan,
    Migration,
    PauseRecord,
    Promise,
)
from domain.commands import (
    AgreeInstallmentPlan,
    ApprovalDecision,
    CeaseCommunication,
    Command,
    ContactOutcome,
    LegalOutcome,
    MigratePolicy,
    OpenDispute,
    OverrideLimitation,
    Pause,
    PromiseToPay,
    ReportBankruptcy,
    ResolveDispute,
    Resume,
    UpdateContact,
    WriteOff,
    digest,
    total,
)
from domain.money import check_amount, to_minor
from domain.planner import hold, ladder_day, limitation_of, stage, step_awaiting_approval, time_barred, timeline


class CommandRejected(ValueError):
    """The command cannot apply to this account now; the message says why."""


class CommandConflict(CommandRejected):
    """The command's id was already used for a different command."""


def seen(state: AccountState, command: Command) -> bool:
    """A repeated command id: accepted, changes nothing (the caller gets the current status)."""
    return command.command_id in state.commands


def refusal(state: AccountState, command: Command) -> CommandRejected | None:
    """Why any command is refused before its own rules are asked: its id was already used for a different command
    (commands recorded before digests were kept count as repeats), or the account is full (domain.bounds)."""
    if seen(state, command):
        known = state.digests.get(command.command_id)
        if known is None or known == digest(command):
            return None
        first = state.commands[command.command_id]
        return CommandConflict(f"command id {command.command_id} was already used for a different command ({first})")
    if state.full():
        return CommandRejected(ACCOUNT_FULL)
    return None


def check_acceptable(state: AccountState, command: Command) -> None:
    """The part of every validator that `refusal` decides."""
    error = refusal(state, command)
    if error:
        raise error


def refuse_signal(state: AccountState, command: Command, now: datetime) -> bool:
    """For signals, which cannot be refused to the sender: record the refusal in the history. True if refused."""
    error = refusal(state, command)
    if error:
        state.log(now, "refused", f"{type(command).__name__} by {command.by} refused: {error}")
    return error is not None


def _open(state: AccountState) -> None:
    if state.outcome is not None:
        raise CommandRejected(f"the account is closed ({state.outcome})")
    if state.write_off:
        raise CommandRejected("the account is being written off")


def _record(state: AccountState, command: Command, now: datetime, kind: str, detail: str) -> None:
    state.commands[command.command_id] = kind
    state.digests[command.command_id] = digest(command)
    state.log(now, "command", f"{kind} by {command.by}: {detail} [{command.command_id}]")


# --- promise_to_pay ---


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
    if state.bankruptcy or state.with_legal_since:
        raise CommandRejected("no promises once bankrupt or with the legal team")


def apply_promise(state: AccountState, command: PromiseToPay, now: datetime) -> None:
    if seen(state, command):
        return
    state.promises.append(
        Promise(promise_id=command.command_id, amount=command.amount, currency=command.currency,
                promised_date=command.promised_date, taken_by=command.by, made_at=now,
                paid_before=state.total_paid())
    )  # fmt: skip
    _record(state, command, now, "promise_to_pay", f"{command.amount} {command.currency} by {command.promised_date}")


# --- agree_installment_plan ---


def check_plan(state: AccountState, command: AgreeInstallmentPlan, now: datetime) -> None:
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
    if state.plan and state.plan.state == "active":
        raise CommandRejected(f"plan {state.plan.plan_id} is already in force")
    if state.bankruptcy or state.with_legal_since:
        raise CommandRejected("no plans once bankrupt or with the legal team")


def apply_plan(state: AccountState, command: AgreeInstallmentPlan, now: datetime) -> None:
    if seen(state, command):
        return
    state.accrue(now)  # interest stops while the plan is in force: it covers the balance as of today
    state.plan = InstallmentPlan(
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


# --- disputes ---


def check_dispute(state: AccountState, command: OpenDispute, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    known = {i.invoice_id for i in state.unpaid()}
    unknown = [i for i in command.invoice_ids if i not in known]
    if unknown:
        raise CommandRejected(f"no unpaid invoice {', '.join(unknown)} on this account")


def apply_dispute(state: AccountState, command: OpenDispute, now: datetime) -> None:
    if seen(state, command):
        return
    state.disputes.append(
        Dispute(dispute_id=command.command_id, reason=command.reason, invoice_ids=command.invoice_ids,
                opened_by=command.by, opened_at=now)
    )  # fmt: skip
    about = ", ".join(command.invoice_ids) or "the whole balance"
    _record(state, command, now, "open_dispute", f"{about}: {command.reason}")


def check_resolution(state: AccountState, command: ResolveDispute, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    dispute = next((d for d in state.disputes if d.dispute_id == command.dispute_id), None)
    if dispute is None:
        raise CommandRejected(f"no dispute {command.dispute_id} on this account")
    if dispute.state != "open":
        raise CommandRejected(f"dispute {command.dispute_id} is already {dispute.state}")
    if command.adjustment is not None:
        if command.resolution != "upheld":
            raise CommandRejected("an adjustment only goes with an upheld dispute")
        currencies = {i.currency for i in _disputed(state, dispute)}
        if len(currencies) != 1:
            raise CommandRejected("an adjustment needs disputed invoices in one currency: resolve them one by one")
        try:
            check_amount(command.adjustment, currencies.pop())
        except ValueError as error:
            raise CommandRejected(f"adjustment: {error}") from None
        disputed = sum(i.outstanding for i in _disputed(state, dispute))
        if command.adjustment > disputed:
            raise CommandRejected(f"adjustment {command.adjustment} is more than the disputed {disputed}")


def apply_resolution(state: AccountState, command: ResolveDispute, now: datetime) -> None:
    if seen(state, command):
        return
    dispute = next(d for d in state.disputes if d.dispute_id == command.dispute_id)
    dispute.state, dispute.resolved_by, dispute.resolved_at, dispute.note = (
        command.resolution, command.by, now, command.note
    )  # fmt: skip
    detail = f"dispute {dispute.dispute_id} {command.resolution}"
    if command.resolution == "upheld":
        state.accrue(now)
        left = command.adjustment  # None: cancel everything disputed
        for invoice in sorted(_disputed(state, dispute), key=lambda i: (i.due_date, i.invoice_id)):
            cut = invoice.outstanding if left is None else min(left, invoice.outstanding)
            invoice.amount -= cut
            state.cancelled += cut
            if left is not None:
                left -= cut
            if invoice.outstanding == 0:  # nothing was owed: nor is the interest on it
                invoice.interest_waived += invoice.interest_due()
        _waive_fees_without_principal(state)
        detail += f"; {'adjusted by ' + str(command.adjustment) if command.adjustment else 'disputed amount cancelled'}"
    _record(state, command, now, "resolve_dispute", detail + (f" ({command.note})" if command.note else ""))


def _waive_fees_without_principal(state: AccountState) -> None:
    """Fees charged for chasing a debt that turned out not to be owed are waived with it."""
    owing = {i.currency for i in state.invoices if i.outstanding > 0}
    for charge in state.owed_charges():
        if charge.currency not in owing:
            charge.waived += charge.owed


def _disputed(state: AccountState, dispute: Dispute) -> list:
    return [i for i in state.unpaid() if not dispute.invoice_ids or i.invoice_id in dispute.invoice_ids]


# --- contact ---


def apply_contact_outcome(state: AccountState, command: ContactOutcome, now: datetime) -> None:
    if seen(state, command) or state.outcome:
        return
    channel = command.channel
    state.failures[channel] = 0 if command.result == "reached" else state.failures.get(channel, 0) + 1
    if channel == "phone":  # a call a collector made: it counts against the call caps
        state.contacts.append(ContactMade(at=command.at, channel="call", conversation=command.result == "reached"))
    limit = state.policy.contact.max_consecutive_failures
    _record(state, command, now, "contact_outcome", f"{channel}: {command.result}")
    if not state.lost_contact and all(state.failures.get(c, 0) >= limit for c in ("phone", "email")):
        state.lost_contact = now
        state.skip_traces += 1
        state.log(now, "deferred", f"lost contact: {limit} consecutive failures on phone and on email; letters only")


def check_update_contact(state: AccountState, command: UpdateContact, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if command.phone is None and command.email is None:
        raise CommandRejected("give a new phone, a new email, or both")


def apply_update_contact(state: AccountState, command: UpdateContact, now: datetime) -> None:
    if seen(state, command):
        return
    assert state.debtor is not None
    changes = {k: v for k, v in (("phone", command.phone), ("email", command.email)) if v is not None}
    state.debtor = state.debtor.model_copy(update=changes)
    for channel in changes:  # new details: their failure count starts again
        state.failures[channel] = 0
    if state.lost_contact:
        state.lost_contact = None
        state.log(now, "resumed", "contact details updated: phone and email contact resume")
    _record(state, command, now, "update_contact", ", ".join(f"{k} {v}" for k, v in changes.items()))


# --- pause, resume, write-off ---


def check_pause(state: AccountState, command: Pause, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if command.until <= now:
        raise CommandRejected(f"pause until {command.until.isoformat()} is not in the future")
    if state.active_pause():
        raise CommandRejected("already paused: resume first, or wait for the pause to end")


def apply_pause(state: AccountState, command: Pause, now: datetime) -> None:
    if seen(state, command):
        return
    state.pauses.append(
        PauseRecord(pause_id=command.command_id, reason=command.reason, by=command.by, started_at=now,
                    until=command.until)
    )  # fmt: skip
    _record(state, command, now, "pause", f"until {command.until.isoformat()}: {command.reason}")


def check_resume(state: AccountState, command: Resume, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if state.active_pause() is None:
        raise CommandRejected("the account is not paused")


def apply_resume(state: AccountState, command: Resume, now: datetime) -> None:
    if seen(state, command):
        return
    pause = state.active_pause()
    assert pause is not None
    pause.ended_at = now
    _record(
        state,
        command,
        now,
        "resume",
        f"pause {pause.pause_id} ended" + (f": {command.reason}" if command.reason else ""),
    )


def check_cease(state: AccountState, command: CeaseCommunication, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if state.cease_communication:
        raise CommandRejected("the debtor already asked us to stop contacting them")


def apply_cease(state: AccountState, command: CeaseCommunication, now: datetime) -> None:
    if seen(state, command):
        return
    state.cease_communication = f"{command.reason} (recorded by {command.by})"
    _record(state, command, now, "cease_communication", command.reason)


def apply_override(state: AccountState, command: OverrideLimitation, now: datetime) -> None:
    if seen(state, command):
        return
    state.limitation_override = f"{command.reason} (by {command.by})"
    _record(state, command, now, "override_limitation", command.reason)


def check_open(state: AccountState, command: Command, now: datetime) -> None:
    """The validator of commands that only need an open account (override_limitation, write_off)."""
    if not seen(state, command):
        _open(state)


def apply_write_off(state: AccountState, command: WriteOff, now: datetime) -> None:
    if seen(state, command):
        return
    state.write_off = f"{command.reason} (by {command.by})"
    _record(state, command, now, "write_off", command.reason)


# --- migrate_policy ---


def check_migrate(state: AccountState, command: MigratePolicy, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    old, new = state.policy, command.policy
    if (new.name, new.version) == (old.name, old.version):
        raise CommandRejected(f"the account is already on {old.name} v{old.version}")
    if new.day_seconds != old.day_seconds:
        raise CommandRejected("cannot move an account between compressed and calendar time")
    if state.with_legal_since:
        raise CommandRejected("the case is with the legal team: its ladder is over")
    if ladder_day(state, now) is None:
        raise CommandRejected("nothing collectible to re-plan (the whole balance is disputed)")
    stages = [s.name for s in new.stages]
    if command.mapping == "restart_at_stage" and command.stage not in stages:
        raise CommandRejected(f"restart_at_stage needs a stage of {new.name}: one of {', '.join(stages)}")
    if command.mapping == "keep_day" and command.stage is not None:
        raise CommandRejected("a stage goes only with restart_at_stage")


def apply_migrate(state: AccountState, command: MigratePolicy, now: datetime) -> None:
    """Swap the policy and map the ladder onto it. Interest rates stay as the invoices were opened with
    (contract terms); the new policy's fees, contact rules and steps apply from now on."""
    if seen(state, command):
        return
    old, new = state.policy, command.policy
    before = ladder_day(state, now)
    assert before is not None  # checked
    state.policy = new
    keys = {s.key for s in new.steps}
    for key in [k for k, a in state.approvals.items() if a.state == "pending" and k not in keys]:
        del state.approvals[key]  # the step it would approve is gone
    if state.stage_cap not in {s.name for s in new.stages}:
        state.stage_cap = None
    state.deferred.clear()
    if command.mapping == "restart_at_stage":
        assert command.stage is not None
        after = new.stage_start(command.stage)
        state.shift_days += before - after
        state.generation += 1  # new idempotency keys: the restarted steps are sent again
        state.stage_cap = None
        for step in new.steps:
            if step.day >= after:
                state.handled.pop(step.key, None)
                state.approvals.pop(step.key, None)
                for key in [k for k in state.handled if k.startswith(f"approval-{step.key}-")]:
                    del state.handled[key]
    else:
        after, known = before, {s.key for s in old.steps}
        for step in new.steps:  # steps the new ladder adds in the past are not made up for at once
            if step.day < before and step.key not in known and step.key not in state.handled:
                state.record_step(now, step.key, "skipped", f"{step.key}: before the policy migration (day {before})",
                                  before)  # fmt: skip
    state.migrations.append(
        Migration(from_policy=f"{old.name} v{old.version}", to_policy=f"{new.name} v{new.version}",
                  mapping=command.mapping, stage=command.stage, day_before=before, day_after=after, by=command.by,
                  reason=command.reason, at=now)
    )  # fmt: skip
    where = f"restart at {command.stage}" if command.stage else "keep the day"
    detail = f"{old.name} v{old.version} → {new.name} v{new.version}, {where} (ladder day {before} → {after})"
    _record(state, command, now, "migrate_policy", f"{detail}: {command.reason}")


# --- approvals ---


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


# --- facts (signals) ---


def apply_bankruptcy(state: AccountState, command: ReportBankruptcy, now: datetime) -> None:
    if seen(state, command) or state.outcome or state.bankruptcy:
        return
    state.accrue(now)  # interest stops at the petition
    state.bankruptcy = Bankruptcy(reported_by=command.by, reported_at=now, case_reference=command.case_reference,
                                  note=command.note)  # fmt: skip
    _record(state, command, now, "report_bankruptcy", command.case_reference or "no case reference")


def apply_legal_outcome(state: AccountState, command: LegalOutcome, now: datetime) -> None:
    if seen(state, command) or state.outcome:
        return
    if not state.with_legal_since:
        state.log(now, "command", f"legal_outcome {command.outcome} ignored: the account is not with legal")
        state.commands[command.command_id] = "legal_outcome"
        state.digests[command.command_id] = digest(command)
        return
    state.legal_outcome = command.outcome
    _record(state, command, now, "legal_outcome", command.outcome + (f": {command.note}" if command.note else ""))


# --- time ---


def settle(state: AccountState, now: datetime) -> None:
    """Apply what the passing of time decides, in the order a collector would."""
    if state.outcome or not state.invoices or state.debtor is None:
        return
    clock, policy = timeline(state), state.policy
    jump_to: int | None = None
    state.accrue(now)  # before a plan's end or a default changes whether interest runs

    pause = state.active_pause()
    if pause and pause.until <= now:
        pause.ended_at = pause.until
        state.log(now, "resumed", f"pause {pause.pause_id} ended as planned")

    promise = state.open_promise()
    if promise and now >= clock.moment(promise.promised_date, policy.promises.grace_days):
        paid = state.total_paid() - promise.paid_before
        promise.judged_at = now
        if paid >= promise.amount:
            promise.state = "kept"
            state.log(now, "resumed", f"promise {promise.promise_id} kept ({paid} paid): the ladder resumes")
        else:
            promise.state = "broken"
            broken = sum(p.state == "broken" for p in state.promises)
            state.log(now, "resumed", f"promise {promise.promise_id} broken ({paid} of {promise.amount} paid); "
                      f"{broken} broken so far")  # fmt: skip
            if policy.promises.on_broken == "next_stage":
                jump_to = policy.next_stage_day(ladder_day(state, now) or 0)

    plan = state.plan
    if plan and plan.state == "active":
        paid = state.total_paid() - plan.paid_before
        covered = 0
        for term in plan.installments:
            covered += term.amount
            if term.state == "pending" and paid >= covered:
                term.state = "paid"
                state.log(now, "payment", f"installment {term.number} of plan {plan.plan_id} paid")
            elif term.state == "pending" and now >= clock.moment(term.due_date, policy.installments.grace_days):
                term.state, plan.state = "missed", "defaulted"
                state.log(now, "resumed", f"installment {term.number} of plan {plan.plan_id} missed: plan defaulted")
                jump_to = policy.stage_start(policy.installments.on_default_stage)
                break
        if plan.state == "active" and all(t.state == "paid" for t in plan.installments):
            plan.state = "completed"

    for approval in state.approvals.values():
        deadline = approval.requested_at + clock.span(policy.approvals.escalate_after_days)
        if approval.state == "pending" and approval.level + 1 < len(policy.approvals.levels) and now >= deadline:
            approval.level += 1
            approval.requested_at = now
            state.log(
                now, "deferred", f"approval of {approval.step} escalated to {policy.approvals.levels[approval.level]}"
            )

    _account_held_days(state, now)
    ends = limitation_of(state)
    legal = policy.stage_start(policy.limitation.legal_stage)
    margin = timedelta(days=policy.limitation.margin_days)
    if ends and not state.with_legal_since and not time_barred(state, now) and clock.local_day(now) >= ends[0] - margin:
        day = ladder_day(state, now)
        if day is not None and day < legal:
            state.log(now, "resumed", f"the limitation period ends {ends[0]}: handing over to legal now")
            jump_to = max(jump_to or 0, legal)
    if jump_to is not None:
        _jump(state, now, jump_to)
    _charge_fees(state, now)

    step = step_awaiting_approval(state, now)
    if step is not None:
        state.approvals[step.key] = Approval(step=step.key, level=0, requested_at=now)
        state.log(now, "deferred", f"{step.key} needs approval: asked the {policy.approvals.levels[0]}")


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
