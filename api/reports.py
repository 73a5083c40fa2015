"""`GET /v1/reports/aging`: the book's aging (the leads). From visibility, like the lists: see `book`."""

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

import book
from api.auth import LEADS, require
from api.state import TemporalClient
from domain.aging import AgingReport

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
