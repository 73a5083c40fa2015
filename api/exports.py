"""`GET /v1/exports/{what}?format=csv|xlsx`: the book, the aging report, the month's KPIs or the contact log as a
file, for the leads (insight/exports.py). Streamed as it is read: a CSV chunk by chunk, an XLSX once written."""

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import StreamingResponse

from api.auth import LEADS, require
from api.state import AppSettings, SystemOfRecord, TemporalClient
from book import Filters, aging
from insight import exports
from insight.kpis import month_bounds, this_month
from insight.sources import month_report

MONTH = "kpis: YYYY-MM (default: this month); contacts: only that month's (default: all)"
router = APIRouter(prefix="/v1/exports", tags=["exports"], dependencies=[Depends(require(*LEADS))])


@router.get("/{what}", summary="The book, the aging report, the month's KPIs or the contact log, as CSV or XLSX")
async def export(
    what: Literal["book", "aging", "kpis", "contacts"],
    client: TemporalClient,
    store: SystemOfRecord,
    settings: AppSettings,
    format: Annotated[exports.Format, Query()] = "csv",
    month: Annotated[str | None, Query(max_length=7, description=MONTH)] = None,
) -> StreamingResponse:
    try:
        start_end = month_bounds(month) if month else (None, None)
    except ValueError as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    filters = Filters(task_queue=settings.task_queue)
    if what == "book":
        chunks = exports.export_async(exports.BOOK_HEADER, exports.book_rows(client, store, filters), format, what)
    elif what == "aging":
        rows = list(exports.aging_rows(await aging(client, filters=filters)))
        chunks = _in_thread(exports.export(exports.AGING_HEADER, rows, format, what))
    elif what == "kpis":
        reports = await asyncio.to_thread(month_report, store, month or this_month(datetime.now(UTC).date()))
        chunks = _in_thread(exports.export(exports.KPI_HEADER, exports.kpi_rows(reports), format, what))
    else:
        chunks = _in_thread(exports.export(exports.CONTACT_HEADER, exports.contact_rows(store, *start_end), format,
                                           what))  # fmt: skip
    name = f"{what}-{month or datetime.now(UTC).date().isoformat()}.{format}"
    return StreamingResponse(chunks, media_type=exports.MEDIA[format],
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


async def _in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """A blocking generator (the store's reads, openpyxl's writing) run off the event loop, chunk by chunk."""
    done = object()
    while (chunk := await asyncio.to_thread(next, chunks, done)) is not done:
        yield chunk  # type: ignore[misc]
