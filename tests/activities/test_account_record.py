"""Each action records the account in the store; an action that brings nothing new skips that write."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from activities.collection import CollectionActivities
from domain.actions import PaymentLine
from store.repository import Store
from tests.activities.test_rendering import requests


def test_the_account_is_written_again_only_when_the_request_brings_something_new(
    activities: CollectionActivities, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third, fourth, *_ = requests("en")
    activities.perform(first)
    upserts: list[str] = []
    upsert = store.upsert_account
    monkeypatch.setattr(
        store, "upsert_account", lambda account, *rows: upserts.append(account.email) or upsert(account, *rows)
    )

    activities.perform(second)  # same debtor, invoices and payments
    assert upserts == []

    moved = third.debtor.model_copy(update={"email": "new-address@example.com"})
    activities.perform(third.model_copy(update={"debtor": moved}))
    paid = PaymentLine(payment_id="PAY-9", amount=Decimal("100.00"), currency="CNY", received_at=datetime.now(UTC))
    activities.perform(fourth.model_copy(update={"debtor": moved, "payments": [paid]}))

    assert upserts == ["new-address@example.com", "new-address@example.com"]
    assert store.account(first.account_id).email == "new-address@example.com"
    assert [p.payment_id for p in store.payments(first.account_id)] == ["PAY-9"]
