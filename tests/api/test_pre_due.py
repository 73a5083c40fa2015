"""Accounts before their due date over HTTP: the book lists them with negative days past due in the `pre_due`
stage, the aging report counts them as `current`, and the debtor's answer to the balance confirmation letter is a
command (`balance-confirmation`)."""

import asyncio
from datetime import timedelta

import pytest

from store.models import ContactLog
from store.repository import Store
from tests.api.conftest import Api, utc_today
from tests.polling import eventually

pytestmark = pytest.mark.integration


async def pre_due_account(api: Api, days_before: int, **overrides: object) -> str:
    return await api.open_account(event_type="invoice.issued", due_date=utc_today() + timedelta(days=days_before),
                                  **overrides)  # fmt: skip


async def test_an_account_not_yet_due_is_current_in_the_aging_and_listed_with_negative_days(api: Api) -> None:
    ahead = await pre_due_account(api, 10, amount="700.00")
    late = await api.open_account(days_past_due=12, amount="300.50")

    async def book() -> dict[str, dict]:
        response = await api.get("/v1/accounts", params={"task_queue": api.queue})
        return {row["account_id"]: row for row in response.json()["accounts"]}

    rows = await eventually(book, lambda rows: all(rows.get(a, {}).get("oldest_due") for a in (ahead, late)))
    assert (rows[ahead]["stage"], rows[ahead]["days_past_due"]) == ("pre_due", -10)
    assert (rows[late]["stage"], rows[late]["days_past_due"]) == ("friendly", 12)
    for params, expected in (({"max_days_past_due": 0}, {ahead}), ({"min_days_past_due": -10}, {ahead, late}),
                             ({"min_days_past_due": -9}, {late}), ({"stage": "pre_due"}, {ahead})):  # fmt: skip
        response = await api.get("/v1/accounts", params={"task_queue": api.queue} | params)
        assert {row["account_id"] for row in response.json()["accounts"]} == expected, params

    response = await api.get("/v1/reports/aging", params={"task_queue": api.queue})
    assert response.status_code == 200, response.text
    cny = response.json()["buckets"]["CNY"]
    assert (cny["current"], cny["1-30"]) == ({"count": 1, "amount": "700.00"}, {"count": 1, "amount": "300.50"})
    assert response.json()["stages"]["CNY"]["pre_due"] == {"count": 1, "amount": "700.00"}


async def test_the_balance_confirmation_confirmed_or_rejected_by_a_collector(api: Api, store: Store) -> None:
    account = await pre_due_account(api, 20)
    route = f"/v1/accounts/{account}/balance-confirmation"

    confirmed = await api.post(route, "collector", json={"answer": "confirmed", "evidence_ref": "SCAN-1"})
    assert confirmed.status_code == 200, confirmed.text
    status = confirmed.json()
    [record] = status["contacts"]
    assert (record["channel"], record["result"], record["evidence_ref"]) == ("confirmation", "confirmed", "SCAN-1")
    assert status["history"][-1]["detail"].startswith(
        "confirm_balance by li.na: balance confirmed: balance 12000.00 CNY"
    )
    assert status["limitation_basis"].startswith("due date"), "before the due date the period has not begun"
    assert status["stage"] == "pre_due" and status["days_past_due"] == -20

    def confirmations() -> list[ContactLog]:
        return [row for row in store.contact_log(account) if row.action == "confirm_balance"]

    [logged] = await eventually(lambda: asyncio.to_thread(confirmations), bool)  # as evidence, once
    assert (logged.channel, logged.result, logged.by, logged.evidence_ref) == ("confirmation", "confirmed", "li.na",
                                                                               "SCAN-1")  # fmt: skip

    refused = await api.post(route, "collector", json={"answer": "rejected", "reason": "x", "invoice_ids": ["INV-9"]})
    assert refused.status_code == 422 and refused.json()["detail"] == "no unpaid invoice INV-9 on this account"
    assert (await api.post(route, "collector", json={"answer": "rejected"})).status_code == 422  # no reason
    assert (await api.post(route, "ops-key", json={"answer": "confirmed"})).status_code == 403

    rejected = await api.post(route, "collector", json={"answer": "rejected", "reason": "INV-1 is 500.00 too high"})
    assert rejected.status_code == 200, rejected.text
    [dispute] = rejected.json()["disputes"]
    assert (
        dispute["invoice_ids"] == [] and dispute["reason"] == "balance confirmation rejected: INV-1 is 500.00 too high"
    )
    assert rejected.json()["stage"] == "disputed"
