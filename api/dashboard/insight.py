"""The leads' pages of figures: Insight (the month's KPIs, the cohorts' recovery curves, the aging trend and its roll
rates, the collectors, the experiments' arms, the exports) and the Simulator (policies over a synthetic book).
Everything here reads; the simulator's form is a GET (it changes nothing, and its result can be bookmarked)."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from markupsafe import Markup

from api.dashboard.signin import PREFIX, Lead, PageError, PageRoute, render
from api.exports import export as export_file
from api.simulations import MAX_API_ACCOUNTS, MAX_API_RUNS, SimulationRequest, simulated, todays_book
from api.state import get_client, get_settings, get_store
from insight.charts import Series, line_chart
from insight.kpis import KpiReport, month_bounds, this_month
from insight.sources import experiments_report, month_report, trend_report
from insight.trend import Trend
from simulation import chart as simulation_chart
from simulation.simulator import BOOK

router = APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)


@router.get("/insight")
async def insight(request: Request, viewer: Lead, month: Annotated[str | None, Query(max_length=7)] = None) -> Response:
    month = month or this_month(datetime.now(UTC).date())
    try:
        month_bounds(month)
    except ValueError as error:
        raise PageError(422, str(error)) from None
    store = get_store(request)
    reports, trend, arms = await asyncio.gather(asyncio.to_thread(month_report, store, month),
                                                asyncio.to_thread(trend_report, store),
                                                asyncio.to_thread(experiments_report, store))  # fmt: skip
    return render(request, "insight.html", month=month, reports=reports, arms=arms, trend=trend,
                  cohort_charts=[cohort_chart(r) for r in reports], trend_charts=trend_charts(trend))  # fmt: skip


def cohort_chart(report: KpiReport) -> Markup:
    """Each cohort's share collected by months since its entry."""
    longest = max((len(c.curve) for c in report.cohorts), default=1)
    series = [Series(c.month, c.curve) for c in report.cohorts if c.curve]
    return Markup(line_chart(f"Recovery by cohort, {report.currency}: share collected by months since entry",
                             series, [str(n + 1) for n in range(longest)], "months since entry"))  # fmt: skip


def trend_charts(trend: Trend) -> list[Markup]:
    """The amount in each bucket at each month's end, per currency."""
    charts = []
    for currency, months in trend.aging.items():
        names = list(next(iter(months.values())))
        series = [Series(bucket, [float(points[bucket].amount) for points in months.values()]) for bucket in names]
        charts.append(Markup(line_chart(f"Aging at each month's end, {currency}", series, list(months), "month",
                                        percent=False)))  # fmt: skip
    return charts


@router.get("/exports/{what}")
async def export(
    request: Request, viewer: Lead, what: Literal["book", "aging", "kpis", "contacts"],
    format: Literal["csv", "xlsx"] = "csv", month: Annotated[str | None, Query(max_length=7)] = None,
) -> StreamingResponse:  # fmt: skip
    """The API's exports (api/exports.py), for a signed-in lead."""
    return await export_file(what, get_client(request), get_store(request), get_settings(request), format, month)


@router.get("/simulate")
async def simulate_page(
    request: Request, viewer: Lead, accounts: Annotated[int, Query(ge=1, le=MAX_API_ACCOUNTS)] = 2000,
    runs: Annotated[int, Query(ge=1, le=MAX_API_RUNS)] = 10, days: Annotated[int, Query(ge=1, le=1095)] = 120,
    seed: Annotated[int, Query(ge=0)] = 1, policy: Annotated[list[str] | None, Query(max_length=6)] = None,
    book: Literal["synthetic", "today"] = "synthetic", run: bool = False,
) -> Response:  # fmt: skip
    """The form, and with `run` the results: the table and the recovery curves with their bands."""
    policies = request.app.state.policies
    chosen = policy or [BOOK]
    result, drawn = None, None
    if run:
        body = SimulationRequest(accounts=accounts, runs=runs, days=days, seed=seed, policies=chosen, book=book)
        try:
            today = await todays_book(request, None) if book == "today" else None
            outcomes = await asyncio.to_thread(simulated, body, policies, datetime.now(UTC).date(), today)
        except (ValueError, LookupError) as error:
            raise PageError(422, str(error)) from None
        result, drawn = [o.summary() for o in outcomes], Markup(simulation_chart.svg(outcomes))
    names = [BOOK, *sorted(p.name for p in policies.all())]
    return render(request, "simulate.html", accounts=accounts, runs=runs, days=days, seed=seed, chosen=chosen,
                  names=names, result=result, chart=drawn, book=book)  # fmt: skip
