"""`GET /v1/accounts` (the book, filtered and paged, from visibility: see `book`) and `GET /v1/accounts/{id}` (one
account's exact status, from its workflow's `status` query). The staff who work accounts (collectors and leads) and
the legal team."""

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel
from temporalio.service import RPCError, RPCStatusCode

import book
from api.auth import LEGAL, STAFF, require
from api.errors import temporal_errors
from api.state import TemporalClient
from domain.status import AccountStatus
from edge.client import query_status

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], dependencies=[Depends(require(*STAFF, LEGAL))])


class AccountPage(BaseModel):
    accounts: list[book.AccountRow]
    next_cursor: str | None = None


@router.get(
    "",
    response_model=AccountPage,
    summary="The book, filtered and paged (eventually consistent: from Temporal visibility)",
)
async def list_accounts(
    client: TemporalClient,
    filters: Annotated[book.Filters, Depends()],
    page_size: Annotated[int, Query(ge=1, le=book.MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=book.MAX_CURSOR, description="next_cursor of the previous page, same filters")
    ] = None,
) -> AccountPage:
    try:
        rows, next_cursor = await book.list_accounts(client, filters, page_size=page_size, cursor=cursor)
    except ValueError as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    except RPCError as error:
        if error.status == RPCStatusCode.INVALID_ARGUMENT:  # a cursor Temporal does not recognise
            raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=f"invalid query: {error.message}") from None
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=f"Temporal error: {error.message}") from None
    return AccountPage(accounts=rows, next_cursor=next_cursor)


@router.get("/{account_id}", response_model=AccountStatus, summary="Where the account stands and why (exact)")
async def account_status(account_id: str, client: TemporalClient) -> AccountStatus:
    with temporal_errors(account_id):
        return await query_status(client, account_id)
