"""The leads' Insight page and the Simulator in headless Chromium: the month's KPIs, the cohorts' and the trend's
charts, the roll rates, the arms' verdict, the exports, and a simulation's chart, drawn under the pages' content
security policy. The app reads its own store (no Temporal needed)."""

from datetime import UTC, datetime

from fastapi import FastAPI
from playwright.async_api import Browser

from store import snapshots
from store.models import AgingSnapshot
from tests.api.conftest import serve_http
from tests.browser.test_dashboard import sign_in
from tests.insight.test_report import fill
from tests.staff import hire


def snapshot_rows() -> list[AgingSnapshot]:
    taken = datetime(2026, 11, 1, tzinfo=UTC)
    rows = [("2026-10", "A1", "1-30", 700), ("2026-10", "A2", "current", 2000), ("2026-11", "A2", "31-60", 1500)]
    return [AgingSnapshot(month=m, taken_at=taken, account_id=a, stage="friendly", bucket=b, outstanding=amount,
                          currency="CNY", segment="standard") for m, a, b, amount in rows]  # fmt: skip


async def test_a_lead_reads_the_months_figures_and_simulates(offline_app: FastAPI, browser: Browser) -> None:
    store = offline_app.state.store
    fill(store)
    snapshots.record(store, snapshot_rows())
    key, collector = hire(store, "supervisor", "gao.lead"), hire(store, "collector", "ma.collector")
    with serve_http(offline_app) as base_url:
        page = await browser.new_page()
        refused: list[str] = []
        page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
                else None)  # fmt: skip
        await page.goto(f"{base_url}/dashboard/login?next=/dashboard/insight%3Fmonth%3D2026-11")
        await sign_in(page, key)
        await page.wait_for_url("**/dashboard/insight?month=2026-11")
        assert await page.locator("#collected-CNY").inner_text() == "CN¥1,700.00"
        assert await page.locator("[data-currency=CNY] .chart.cohorts svg polyline.series").count() == 2  # Oct, Nov
        assert await page.locator(".chart.trend svg polyline.series").count() == 5  # a line per bucket
        assert "Roll rates 2026-10 → 2026-11, CNY" in await page.locator("#trend").inner_text()
        assert await page.locator("table.leaderboard tbody tr").count() >= 2
        download = page.locator("a:has-text('XLSX')").nth(2)  # the KPIs'
        async with page.expect_download() as waiting:
            await download.click()
        assert (await waiting.value).suggested_filename == "kpis-2026-11.xlsx"

        await page.click("nav a:has-text('Simulator')")
        await page.fill("input[name=accounts]", "200")
        await page.fill("input[name=runs]", "2")
        await page.fill("input[name=days]", "40")
        await page.check("input[name=policy][value=accelerated]")
        await page.click("button:has-text('Simulate')")
        await page.wait_for_selector(".chart.simulation svg")
        assert await page.locator(".chart.simulation svg polyline.series").count() == 2  # book and accelerated
        assert "collected by the last day" in await page.locator("#result").inner_text()
        assert refused == []

        other = await browser.new_page()  # a collector has no Insight
        await other.goto(f"{base_url}/dashboard/login?next=/dashboard/insight")
        await sign_in(other, collector)
        assert "Insight" not in await other.locator("nav").inner_text()
        answer = await other.goto(f"{base_url}/dashboard/insight")
        assert answer is not None and answer.status == 403
