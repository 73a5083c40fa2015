"""GET /v1/exports/{what}: files for the leads, opened back; the book as exported is a book the simulator runs."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from domain.policy_book import PolicyBook
from simulation.book import read_book
from simulation.responses import load_model
from simulation.simulator import BOOK, Arm, simulate
from tests.api.conftest import MACHINE_KEYS, Api, serve
from tests.insight.test_report import fill
from tests.polling import eventually


async def test_the_months_kpis_as_xlsx_and_the_contact_log_as_csv(offline_app: FastAPI) -> None:
    fill(offline_app.state.store)
    lead = {"X-API-Key": MACHINE_KEYS["supervisor"]}
    async with serve(offline_app) as http:
        kpis = await http.get("/v1/exports/kpis", params={"format": "xlsx", "month": "2026-11"}, headers=lead)
        contacts = await http.get("/v1/exports/contacts", params={"month": "2026-11"}, headers=lead)
        bad = await http.get("/v1/exports/kpis", params={"month": "Nov"}, headers=lead)
        unknown = await http.get("/v1/exports/passwords", headers=lead)
    assert kpis.status_code == 200 and 'filename="kpis-2026-11.xlsx"' in kpis.headers["content-disposition"]
    rows = list(load_workbook(io.BytesIO(kpis.content)).active.values)
    assert rows[1][:4] == ("2026-11", "CNY", "all", None)
    assert contacts.headers["content-type"].startswith("text/csv")
    logged = list(csv.DictReader(io.StringIO(contacts.content.decode("utf-8-sig"))))
    assert [(r["account_id"], r["result"]) for r in logged] == [("A1", "sent"), ("A3", "sent"), ("A3", "failed"),
                                                                ("A1", "no_answer")]  # fmt: skip
    assert bad.status_code == 422 and unknown.status_code == 422


@pytest.mark.integration
async def test_the_book_exported_is_a_book_the_simulator_runs(api: Api, tmp_path: Path) -> None:
    events = [api.event(amount=amount, days_past_due=days) for amount, days in (("1200.00", 3), ("56000.00", 40),
                                                                                   ("800.50", 75))]  # fmt: skip
    response = await api.post("/v1/events", "ops", json=events)
    assert [r["result"] for r in response.json()] == ["started"] * 3, response.text
    ids = {event["account_id"] for event in events}

    async def exported() -> list[dict]:
        response = await api.get("/v1/exports/book", params={"format": "csv"})
        assert response.status_code == 200, response.text
        return [row for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
                if row["account_id"] in ids]  # fmt: skip

    rows = await eventually(exported, lambda rows: len(rows) == 3 and any(r["policy"] for r in rows), timeout=60)
    assert {r["days_past_due"] for r in rows} == {"3", "40", "75"} and {r["currency"] for r in rows} == {"CNY"}
    # The store knows an account from its first action (until then the simulator gives it the book's policy).
    assert {r["policy"] for r in rows} <= {"standard", ""} and "standard" in {r["policy"] for r in rows}
    book_file = tmp_path / "book.csv"
    with book_file.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    accounts = read_book(book_file)
    outcome = simulate(accounts, [Arm(BOOK, None)], load_model(), PolicyBook(), runs=2, seed=1, days=30,
                       first_day=date(2027, 1, 4))[0]  # fmt: skip
    assert outcome.accounts == 3 and outcome.placed == pytest.approx(1200 + 56000 + 800.5)
    # The same over HTTP: today's book, as the API reads it itself.
    request = {"book": "today", "runs": 2, "days": 30, "start": "2027-01-04", "policies": ["book", "accelerated"]}
    response = await api.post("/v1/simulations", json=request)
    assert response.status_code == 200, response.text
    assert [(arm["accounts"], arm["placed"]) for arm in response.json()["arms"]] == [(3, 58000.5), (3, 58000.5)]
    other = await api.post("/v1/simulations", json={**request, "currency": "USD"})
    assert other.status_code == 422 and "no open account in USD" in other.text
