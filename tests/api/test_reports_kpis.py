"""GET /v1/reports/kpis: the month's KPIs for the leads, from the store (no Temporal needed)."""

from fastapi import FastAPI

from tests.api.conftest import MACHINE_KEYS, serve
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
