"""GET /v1/reports/kpis: the month's KPIs for the leads, from the store (no Temporal needed)."""

from fastapi import FastAPI

from store import facts
from store.models import AccountFact
from tests.api.conftest import MACHINE_KEYS, serve
from tests.insight.test_arms import arm_book
from tests.insight.test_report import fill


async def test_the_leads_read_them_over_http(offline_app: FastAPI) -> None:
    fill(offline_app.state.store)
    async with serve(offline_app) as http:
        lead = await http.get("/v1/reports/kpis?month=2026-11", headers={"X-API-Key": MACHINE_KEYS["supervisor"]})
        ops = await http.get("/v1/reports/kpis?month=2026-11", headers={"X-API-Key": MACHINE_KEYS["ops"]})
        bad = await http.get("/v1/reports/kpis?month=11-2026", headers={"X-API-Key": MACHINE_KEYS["supervisor"]})
    assert lead.status_code == 200, lead.text
    assert [r["currency"] for r in lead.json()] == ["CNY", "USD"]
    assert lead.json()[0]["cohorts"][0]["month"] == "2026-10"
    assert ops.status_code == 403 and bad.status_code == 422


async def test_the_arms_compared_over_http(offline_app: FastAPI) -> None:
    rows = arm_book("x/champion", 120, 0.5, 1) + arm_book("x/slow", 120, 0.2, 2)
    facts.record(offline_app.state.store, [AccountFact(key=f"{r.kind}:{n}", **vars(r)) for n, r in enumerate(rows)])
    async with serve(offline_app) as http:
        response = await http.get("/v1/reports/arms", headers={"X-API-Key": MACHINE_KEYS["supervisor"]})
    assert response.status_code == 200, response.text
    (report,) = response.json()
    assert [a["arm"] for a in report["arms"]] == ["x/champion", "x/slow"]
    assert report["comparisons"][0]["verdict"].startswith("slow collects less than the champion")
