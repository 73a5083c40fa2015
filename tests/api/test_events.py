"""POST /v1/events: one event, a JSON array, JSON lines; per-event results as `starter.py ingest` gives them."""

import json

import pytest

from tests.api.conftest import Api

pytestmark = pytest.mark.integration


async def test_a_json_batch_applies_its_valid_members_and_says_what_became_of_each(api: Api) -> None:
    first, second = api.event(), api.event()
    negative = api.event()
    negative["invoice"]["amount"] = "-5.00"
    batch = [first, negative, second, first, 5]

    response = await api.post("/v1/events", "ops", json=batch)

    assert response.status_code == 200, response.text
    results = response.json()
    assert [(r["line"], r["result"]) for r in results] == [
        (1, "started"),
        (2, "rejected"),
        (3, "started"),
        (4, "duplicate"),
        (5, "rejected"),
    ]
    assert results[0] == {
        "line": 1,
        "event_id": first["event_id"],
        "account_id": first["account_id"],
        "result": "started",
        "reason": None,
    }
    assert results[1]["account_id"] == negative["account_id"]
    assert results[1]["reason"] == "invoice.amount: amount must be positive, got -5.00"
    assert results[4]["event_id"] is None and results[4]["reason"]
    for started in (first, second):
        status = await api.status(started["account_id"])
        assert [(b["currency"], b["amount"]) for b in status["balances"]] == [("CNY", "12000.00")]
    missing = await api.get(f"/v1/accounts/{negative['account_id']}")
    assert missing.status_code == 404


async def test_json_lines_count_lines_as_the_file_has_them(api: Api) -> None:
    event = api.event()
    second_invoice = dict(event, event_id=event["event_id"] + "-2")
    second_invoice["invoice"] = dict(event["invoice"], invoice_id="INV-2", amount="500.00")
    body = "\n".join(
        [json.dumps(event), '{"event_id": "broken", "type": "invoice.overdue"', "", json.dumps(second_invoice)]
    )

    response = await api.post(
        "/v1/events", "ops", content=body.encode(), headers={"Content-Type": "application/x-ndjson"}
    )

    assert response.status_code == 200, response.text
    results = response.json()
    assert [(r["line"], r["result"]) for r in results] == [(1, "started"), (2, "rejected"), (4, "joined")]
    assert results[1]["event_id"] is None and results[1]["reason"].startswith("malformed JSON")
    status = await api.status(event["account_id"])
    assert [i["invoice_id"] for i in status["invoices"]] == ["INV-1", "INV-2"]


async def test_a_single_event_and_bodies_that_are_no_events(api: Api) -> None:
    response = await api.post("/v1/events", "ops", json=api.event())
    assert response.status_code == 200 and [r["result"] for r in response.json()] == ["started"]

    for body in (b"not json", b"42", b"[]"):
        response = await api.post("/v1/events", "ops", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, body


async def test_a_large_first_invoice_starts_the_account_under_its_bands_policy_and_a_join_keeps_it(api: Api) -> None:
    """Seed 000: large debts go to strict collection sooner (the accelerated policy's bands)."""
    account = await api.open_account(amount="800000.00")
    status = await api.status(account)
    assert (status["policy"], status["segment"]) == ("accelerated v1", "standard")
    joined = api.event(account_id=account, invoice_id="INV-2", amount="100.00")
    assert [r["result"] for r in (await api.post("/v1/events", "ops-key", json=joined)).json()] == ["joined"]
    assert (await api.status(account))["policy"] == "accelerated v1"
    small = await api.open_account(amount="12000.00")
    assert (await api.status(small))["policy"] == "standard v1"
