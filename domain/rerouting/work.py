"""People's work on an account: record_contact (a call or a visit, as evidence, with what was agreed in it) and
complete_task (any other task done). Each closes the task it names; settle() escalates tasks left overdue.

A call or visit is refused before it is recorded when the rules forbid it: contact blocked (a dispute of the whole
balance, bankruptcy, a pause, a cease request), outside the channel's hours in the debtor's timezone, or over the
day's caps (seed 002: 10 call attempts and 5 conversations a day, 2 visits). The dashboard shows the same counts
before the collector dials (domain.status)."""

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from domain.account import AccountState
from domain.arrangements import ContactMade, ContactRecord
from domain.bounds import check_happened
from domain.commands import CONVERSATION, AgreeInstallmentPlan, CompleteTask, OpenDispute, PromiseToPay, RecordContact
from domain.contact_window import next_permitted
from domain.kinds import KINDS, ActionKind
from domain.pacing import holiday_country
from domain.planner import contact_block
from domain.rerouting.common import CommandRejected, _open, _record, finish_work, seen
from domain.rerouting.contact import count_contact_result
from domain.rerouting.disputes import apply_dispute, check_dispute
from domain.rerouting.installment_plans import apply_installment_plan, check_installment_plan
from domain.rerouting.promises import apply_promise, check_promise

MAX_CALLBACK_DAYS = 30
# What a debtor may agree to in a call or visit: each checked and applied by its own command's rules.
AGREEMENTS: dict[type, tuple[Callable[..., None], Callable[..., None]]] = {
    PromiseToPay: (check_promise, apply_promise),
    AgreeInstallmentPlan: (check_installment_plan, apply_installment_plan),
    OpenDispute: (check_dispute, apply_dispute),
}


def check_record_contact(state: AccountState, command: RecordContact, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    try:
        check_happened(command, now)
    except ValueError as error:
        raise CommandRejected(str(error)) from None
    block = contact_block(state)
    if block:
        raise CommandRejected(f"no {command.channel} now: {block}")
    if command.task is not None:
        _open_work(state, command.task)
    refusal = over_the_rules(state, command.channel, command.at)
    if refusal:
        raise CommandRejected(refusal)
    if command.callback_at is not None and not now < command.callback_at <= now + timedelta(days=MAX_CALLBACK_DAYS):
        raise CommandRejected(f"a callback is within the next {MAX_CALLBACK_DAYS} days")
    agreed = command.agreement()
    if agreed is not None:
        AGREEMENTS[type(agreed)][0](state, agreed, now)


def over_the_rules(state: AccountState, channel: str, at: datetime) -> str | None:
    """Why a call or visit at `at` is not allowed (its window in the debtor's timezone, the day's caps), if so."""
    assert state.debtor is not None
    zone = ZoneInfo(state.debtor.timezone)
    window = state.policy.contact.windows.get(channel)
    local = f"{at.astimezone(zone):%a %Y-%m-%d %H:%M}"
    if window is not None and state.policy.day_seconds is None:
        opens = next_permitted(at, window, zone, holiday_country(state))
        if opens != at:
            return (f"{channel}s are allowed {window.describe()} on permitted days in the debtor's timezone; it is "
                    f"{local} there: next permitted {opens.astimezone(zone):%a %Y-%m-%d %H:%M}")  # fmt: skip
    attempts, conversations = day_counts(state, channel, at)
    caps = state.policy.contact.caps.get(channel)
    if caps and caps.per_day is not None and attempts >= caps.per_day:
        return f"{attempts} {channel}s already on the debtor's day ({local} there): at most {caps.per_day} a day"
    if caps and caps.conversations_per_day is not None and conversations >= caps.conversations_per_day:
        return (f"{conversations} conversations already on the debtor's day ({local} there): at most "
                f"{caps.conversations_per_day} a day")  # fmt: skip
    return None


def day_counts(state: AccountState, channel: str, at: datetime) -> tuple[int, int]:
    """Contacts on `channel` on the debtor's day of `at`: all of them, and those where the debtor was reached."""
    assert state.debtor is not None
    zone = ZoneInfo(state.debtor.timezone)
    day = at.astimezone(zone).date()
    same = [c for c in state.contacts if c.channel == channel and c.at.astimezone(zone).date() == day]
    return len(same), sum(c.conversation for c in same)


def apply_record_contact(state: AccountState, command: RecordContact, now: datetime) -> None:
    if seen(state, command):
        return
    met = command.result in CONVERSATION
    state.contact_records.append(
        ContactRecord(record_id=command.command_id, channel=command.channel, result=command.result, at=command.at,
                      by=command.by, duration_minutes=command.duration_minutes, notes=command.notes,
                      agreed=command.agreed, evidence_ref=command.evidence_ref, task=command.task)
    )  # fmt: skip
    state.contacts.append(ContactMade(at=command.at, channel=command.channel, conversation=met))
    minutes = f", {command.duration_minutes} min" if command.duration_minutes is not None else ""
    _record(state, command, now, "record_contact", f"{command.channel} {command.result}{minutes}"
            + (f": {command.notes[:200]}" if command.notes else ""))  # fmt: skip
    if command.channel == "call":
        count_contact_result(state, "phone", command.result, now)
    agreed = command.agreement()
    if agreed is not None:
        AGREEMENTS[type(agreed)][1](state, agreed, now)
    if command.task is None:
        return
    if command.callback_at is not None:
        item = state.work[command.task]
        item.due_at = command.callback_at
        state.log(now, "deferred", f"{command.task}: the debtor asked to be called back at {command.callback_at}")
    else:
        finish_work(state, command.task, command.by, f"{command.channel} {command.result}", now)


def check_complete_task(state: AccountState, command: CompleteTask, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    _open_work(state, command.task)
    if state.work[command.task].kind == KINDS[ActionKind.LAWYER_LETTER_DRAFT].task:
        raise CommandRejected(f"{command.task} ends with the law firm's answer: confirm_lawyer_letter (the letter "
                              "goes out only once the firm says it issued it)")  # fmt: skip


def apply_complete_task(state: AccountState, command: CompleteTask, now: datetime) -> None:
    if seen(state, command):
        return
    _record(state, command, now, "complete_task", f"{command.task}: {command.outcome}"
            + (f" ({command.note[:200]})" if command.note else ""))  # fmt: skip
    finish_work(state, command.task, command.by, command.outcome, now)


def _open_work(state: AccountState, key: str) -> None:
    item = state.work.get(key)
    if item is None:
        open_ = ", ".join(k for k, w in state.work.items() if w.state == "open") or "none"
        raise CommandRejected(f"no task {key} on this account (open: {open_})")
    if item.state != "open":
        raise CommandRejected(f"task {key} is already done ({item.outcome}, by {item.done_by})")
