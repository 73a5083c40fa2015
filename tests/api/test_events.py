"""POST /v1/events: one event, a JSON array, JSON lines; per-event results as `starter.py ingest` gives them."""

import json
from datetime import UTC, datetime

import pytest

from tests.api.conftest import Api, utc_today
from tests.factories import billing_dict

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


async def test_an_invoice_issued_then_overdue_then_paid_and_billing_events_for_no_open_account(api: Api) -> None:
    """Before the due date: invoice.issued opens the account, invoice.overdue for the same invoice is known, and
    invoice.paid (from billing, by signal) pays it; a billing event never opens an account."""
    today = utc_today()
    issued = api.event(event_type="invoice.issued", due_date=today, segment="important")  # gentle: no pre-due steps
    account = issued["account_id"]
    overdue = api.event(account_id=account, due_date=today, segment="important")
    paid = billing_dict("invoice.paid", event_id=f"{overdue['event_id']}-paid", account_id=account,
                        occurred_at=datetime.now(UTC), reference="BANK-1")  # fmt: skip
    nobody = billing_dict("invoice.cancelled", account_id=f"{account}-none", occurred_at=datetime.now(UTC))

    response = await api.post("/v1/events", "ops", json=[issued, overdue, paid, nobody])

    assert response.status_code == 200, response.text
    assert [(r["result"], r["reason"]) for r in response.json()] == [
        ("started", None), ("known", None), ("applied", None), ("rejected", f"no open account {account}-none")
    ]  # fmt: skip
    status = await api.status_until(account, lambda s: s["outcome"] is not None)
    assert (status["outcome"], [p["payment_id"] for p in status["payments"]]) == (
        "paid",
        [f"billing-{paid['event_id']}"],
    )
    known = [h["detail"] for h in status["history"] if "already on the account" in h["detail"]]
    assert known == [
        f"event {overdue['event_id']} (invoice.overdue): invoice INV-1 already on the account: nothing to do"
    ]
    again = await api.post("/v1/events", "ops", json=paid)  # the account is closed now
    assert [(r["result"], r["reason"]) for r in again.json()] == [("rejected", f"no open account {account}")]
