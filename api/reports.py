"""`GET /v1/reports/aging`: the book's aging (the leads). From visibility, like the lists: see `book`.
`GET /v1/reports/kpis`: the month's KPIs per currency (insight/kpis.py), from the store's facts; `GET
/v1/reports/arms`: champion/challenger compared (insight/arms.py)."""

import asyncio
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

import book
from api.auth import LEADS, require
from api.state import SystemOfRecord, TemporalClient
from domain.aging import AgingReport
from insight.arms import ExperimentReport
from insight.kpis import KpiReport, this_month
from insight.sources import experiments_report, month_report, trend_report
from insight.trend import Trend

router = APIRouter(prefix="/v1/reports", tags=["reports"], dependencies=[Depends(require(*LEADS))])


def scope(
    segment: Annotated[str | None, Query(description="only this segment")] = None,
    task_queue: Annotated[str | None, Query(description="only this deployment's task queue")] = None,
) -> book.Filters:
    """What an aging report may be narrowed to. Closed accounts never count."""
    return book.Filters(segment=segment, task_queue=task_queue)


@router.get(
    "/aging",
    response_model=AgingReport,
    summary="Open accounts and amounts per age bucket and per stage, in each currency (days past due as of today, UTC)",
)
async def aging_report(client: TemporalClient, filters: Annotated[book.Filters, Depends(scope)]) -> AgingReport:
    try:
        return await book.aging(client, filters=filters)
    except ValueError as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None


@router.get("/kpis", response_model=list[KpiReport], summary="The month's KPIs, one report per currency")
async def kpi_report(
    store: SystemOfRecord,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM (default: this month, UTC)")] = None,
) -> list[KpiReport]:
    try:
        return await asyncio.to_thread(month_report, store, month or this_month(datetime.now(UTC).date()))
    except ValueError as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None


@router.get("/arms", response_model=list[ExperimentReport], summary="Champion/challenger: every experiment's arms "
            "compared, with 95% intervals and a verdict")  # fmt: skip
async def arms_report(store: SystemOfRecord) -> list[ExperimentReport]:
    return await asyncio.to_thread(experiments_report, store)


@router.get("/trend", response_model=Trend, summary="The aging at each month's end and the roll rates between months")
async def trend_over_months(store: SystemOfRecord) -> Trend:
    return await asyncio.to_thread(trend_report, store)
