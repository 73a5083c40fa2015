"""Collection agencies over HTTP, on the real worker: a supervisor places an account with the example agency and a
manager approves it; the agency's people see the accounts placed with their agency and nothing else, report contacts
and payments on them; the leads read the agency's monthly statement and the performance report."""

from datetime import UTC, datetime

import pytest

from store.repository import Store
from tests.api.conftest import Api
from tests.polling import eventually
from tests.staff import hire

pytestmark = pytest.mark.integration


async def test_an_agency_sees_and_reports_only_the_accounts_placed_with_it(api: Api, store: Store) -> None:
    api.keys["other-agency"] = hire(store, "agency", username="agent.wu", team="other-agency")
    placed = await api.open_account(days_past_due=45, amount="20000.00")
    other = await api.open_account(days_past_due=45)
    asked = await api.post(
        f"/v1/accounts/{placed}/placements", json={"agency_id": "example-agency", "reason": "silent"}
    )
    assert asked.status_code == 200, asked.text
    [pending] = asked.json()["pending_approvals"]
    approved = await api.post(f"/v1/accounts/{placed}/approvals/{pending['step']}/approve", "manager",
                              json={"reason": "agency it is"})  # fmt: skip
    assert approved.status_code == 200, approved.text
    mine = await eventually(lambda: api.get("/v1/agency/accounts", "agency"), lambda r: bool(r.json()))
    [row] = mine.json()
    assert (row["account_id"], row["rate"], row["placed_amount"]) == (placed, "0.1500", "20000.0000")
    assert (await api.get("/v1/agency/accounts", "other-agency")).json() == []
    assert (await api.get(f"/v1/accounts/{placed}", "agency")).status_code == 403  # the book is not theirs

    report = await api.post(f"/v1/agency/accounts/{placed}/reports", "agency", json={"kind": "contact", "note": "met"})
    assert report.status_code == 200, report.text
    assert report.json()["first_report_at"] is not None
    for role, account in (("agency", other), ("other-agency", placed)):
        refused = await api.post(f"/v1/agency/accounts/{account}/reports", role, json={"kind": "contact"})
        assert refused.status_code == 404 and "is not placed with your agency" in refused.json()["detail"]
    paid = await api.post(f"/v1/agency/accounts/{placed}/payments", "agency",
                          json={"payment_id": "AG-1", "amount": "5000.00", "currency": "CNY"})  # fmt: skip
    assert paid.status_code == 202, paid.text
    status = await api.status_until(placed, lambda s: s["placements"][0]["collected"] == "5000.00")
    assert status["placements"][0]["commission"] == "750.00"

    month = f"/v1/agencies/example-agency/statements/{datetime.now(UTC):%Y-%m}"
    statement = await eventually(lambda: api.get(month, "manager"), lambda r: bool(r.json()["lines"]))
    assert statement.json()["totals"]["CNY"]["collected"] == "5000.0000"
    assert statement.json()["totals"]["CNY"]["commission"] == "750.0000"
    assert (await api.get(month, "agency")).status_code == 403
    assert (await api.get("/v1/agencies/example-agency/statements/2026-13", "manager")).status_code == 422
    performance = (await api.get("/v1/agencies/performance", "manager")).json()
    assert [(r["agency_id"], r["bucket"], r["placed"], r["recovered"]) for r in performance] == [
        ("example-agency", "31-60", 1, "5000.0000")]  # fmt: skip
