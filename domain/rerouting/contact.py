"""Reaching the debtor: contact_outcome (lost contact after repeated failures), update_contact, cease_communication."""

import hashlib
from datetime import datetime
from typing import cast

from domain.account import AccountState
from domain.arrangements import ContactMade
from domain.commands import CeaseCommunication, ContactOutcome, ContactResult, UpdateContact
from domain.kinds import CONTACT_NEEDS, ActionKind
from domain.rerouting.common import CommandRejected, _open, _record, finish_work, seen


def apply_contact_outcome(state: AccountState, command: ContactOutcome, now: datetime) -> None:
    if seen(state, command) or state.outcome:
        return
    channel = command.channel
    if channel == "phone":  # a call a collector made: it counts against the call caps
        state.contacts.append(ContactMade(at=command.at, channel="call", conversation=command.result == "reached"))
    _record(state, command, now, "contact_outcome", f"{channel}: {command.result}")
    count_contact_result(state, channel, command.result, now)


def apply_provider_refusal(state: AccountState, action: ActionKind, key: str, result: str, now: datetime) -> None:
    """A provider's permanent refusal that says something about the debtor (a wrong number) is a contact outcome: it
    counts towards lost contact like one reported by a collector. `key` is the refused action's idempotency key."""
    channel = CONTACT_NEEDS.get(action)  # the channel of a contact outcome: phone or email
    if result in ("no_answer", "wrong_number", "refused") and channel in ("phone", "email"):
        outcome = ContactOutcome(
            # A command id is an Identifier (no "/", at most 128 characters): derived from the action's key.
            command_id=f"outcome-{hashlib.sha256(key.encode()).hexdigest()[:32]}",
            by="provider",
            channel=channel,
            result=cast(ContactResult, result),  # one of the three, checked above
            at=now,
        )
        apply_contact_outcome(state, outcome, now)


POST = "post"  # the postal channel: a returned letter is its failure (rules 9)


def count_contact_result(state: AccountState, channel: str, result: str, now: datetime) -> None:
    """A failed contact adds to the channel's run of failures, a successful one ends it; failing on phone and on email
    alike loses contact (letters only, and a skip-trace task)."""
    state.failures[channel] = 0 if result == "reached" else state.failures.get(channel, 0) + 1
    limit = state.policy.contact.max_consecutive_failures
    if not state.lost_contact and all(state.failures.get(c, 0) >= limit for c in ("phone", "email")):
        state.lost_contact = now
        state.skip_traces += 1
        state.log(now, "deferred", f"lost contact: {limit} consecutive failures on phone and on email; letters only")


def check_update_contact(state: AccountState, command: UpdateContact, now: datetime) -> None:
    if seen(state, command):
        return
    _open(state)
    if command.phone is None and command.email is None and command.address is None:
        raise CommandRejected("give a new phone, email or postal address")


def apply_update_contact(state: AccountState, command: UpdateContact, now: datetime) -> None:
    if seen(state, command):
        return
    assert state.debtor is not None
    details = (("phone", command.phone), ("email", command.email), ("address", command.address))
    changes = {k: v for k, v in details if v is not None}
    state.debtor = state.debtor.model_copy(update=changes)
    reachable = sorted(changes.keys() & {"phone", "email"})
    for channel in reachable:  # new details: their failure count starts again
        state.failures[channel] = 0
    if "address" in changes and POST in state.failures:
        state.failures[POST] = 0
    if state.lost_contact and reachable:
        state.lost_contact = None
        state.log(now, "resumed", "contact details updated: phone and email contact resume")
    for item in [w for w in state.work.values() if w.kind == "skip_trace"]:  # its reason is gone: new details
        finish_work(state, item.key, command.by, "new contact details recorded", now)
    _record(state, command, now, "update_contact", ", ".join(f"{k} {v}" for k, v in changes.items()))


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
