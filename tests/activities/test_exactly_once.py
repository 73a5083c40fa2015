"""The outbox's promise, through the real activity and a real HTTP provider on loopback: a crash after the
provider accepted and before the row was marked sent is retried, and the provider has exactly one message."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError

from activities.channels import FileChannel
from activities.collection import CollectionActivities
from activities.legal_case import LegalDesk
from activities.routing import Channels
from activities.senders import SmsHttpSettings, SmsSender
from domain.actions import ActionRequest
from domain.policy_book import PolicyBook
from store.models import ContactLog
from store.repository import Store
from tests.channels.gateway import Gateway
from tests.domain.simulate import open_account, simulate
from tests.factories import example_renderer


def first_sms() -> ActionRequest:
    opened = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # a working day in Shanghai
    state = open_account(PolicyBook().for_segment("standard"), opened)
    return simulate(state, opened, opened).requests[0]


@pytest.fixture
def sms_activities(store: Store, gateway: Gateway, tmp_path: Path) -> CollectionActivities:
    sms = SmsSender(SmsHttpSettings(url=gateway.url, auth_header_value="Bearer t", timeout_seconds=2))
    channels = Channels(FileChannel(tmp_path / "outbox"), sms=sms)
    return CollectionActivities(store, channels, example_renderer(), LegalDesk(store, tmp_path / "legal"))


class CrashOnce:
    """Stands for a worker that dies between the provider's answer and the outbox update."""

    def __init__(self, store: Store) -> None:
        self.store, self.crashed = store, False

    def __call__(self, key: str, channel: str, reference: str, entry: ContactLog):
        if not self.crashed:
            self.crashed = True
            raise ConnectionError("worker lost its database connection after sending")
        return Store.mark_sent(self.store, key, channel, reference, entry)


def test_crash_after_send_is_retried_and_the_provider_has_one_message(
    sms_activities: CollectionActivities, store: Store, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = first_sms()
    monkeypatch.setattr(store, "mark_sent", CrashOnce(store))
    with pytest.raises(ConnectionError):
        sms_activities.perform(request)  # attempt 1: the provider accepted, then the worker "died"
    assert store.message(request.idempotency_key).status == "pending"

    result = sms_activities.perform(request)  # attempt 2, as Temporal retries it

    assert len(gateway.requests) == 2, "the retry sent again, with the same key"
    assert {r.headers["Idempotency-Key"] for r in gateway.requests} == {request.idempotency_key}
    assert list(gateway.accepted) == [request.idempotency_key], "the provider has exactly one message"
    row = store.message(request.idempotency_key)
    assert (row.status, row.provider_reference, row.attempts) == ("sent", result.reference, 2)
    results = [r.result for r in store.contact_log(request.account_id)]
    assert results == ["attempt", "attempt", "sent"]


def test_a_sent_message_is_never_sent_again(
    sms_activities: CollectionActivities, store: Store, gateway: Gateway
) -> None:
    request = first_sms()
    first = sms_activities.perform(request)
    again = sms_activities.perform(request)
    assert (again.already_sent, again.reference) == (True, first.reference)
    assert len(gateway.requests) == 1


def test_a_wrong_number_is_a_permanent_failure_with_its_outcome(
    sms_activities: CollectionActivities, store: Store, gateway: Gateway
) -> None:
    gateway.status, gateway.answer = 422, {"error": "invalid number"}
    request = first_sms()
    with pytest.raises(ApplicationError) as failure:
        sms_activities.perform(request)
    assert (failure.value.type, failure.value.non_retryable, failure.value.details) == (
        "PermanentSendError", True, ("wrong_number",)
    )  # fmt: skip
    assert store.message(request.idempotency_key).status == "failed"
    assert [r.result for r in store.contact_log(request.account_id)] == ["attempt", "failed"]


def test_a_letter_retried_after_success_is_not_rendered_or_sent_again(
    activities: CollectionActivities, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # a working day in Shanghai
    state = open_account(PolicyBook().for_segment("standard"), opened)
    letter = next(r for r in simulate(state, opened, opened + timedelta(days=40)).requests if r.step.startswith("d031"))
    first = activities.perform(letter)
    monkeypatch.setattr(activities.renderer, "pdf", lambda source, dated: pytest.fail("typeset again"))
    again = activities.perform(letter)
    assert (again.already_sent, again.reference) == (True, first.reference)
    assert [m.step for m in store.messages(letter.account_id)] == ["d031-send_demand_letter"]
