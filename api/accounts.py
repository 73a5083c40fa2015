"""`GET /v1/accounts` (the book, filtered and paged, from visibility: see `book`) and `GET /v1/accounts/{id}` (one
account's exact status, from its workflow's `status` query). The staff who work accounts (collectors and leads) and
the legal team. `POST /v1/accounts/{id}/owner`: a lead gives the account to a collector (audited)."""

import asyncio
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, Field
from temporalio.service import RPCError, RPCStatusCode

import book
from api.auth import LEADS, LEGAL, STAFF, Identity, require
from api.errors import temporal_errors
from api.state import SystemOfRecord, TemporalClient
from domain.status import AccountStatus
from edge.client import query_status
from store.errors import NotFound

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


class Ownership(BaseModel):
    to: str | None = Field(description="the collector who owns the account from now on (none: nobody)")
    team: str | None = Field(default=None, description="the account's team (default: the collector's)")


@router.post("/{account_id}/owner", response_model=Ownership, summary="a lead gives the account to a collector")
async def set_owner(
    account_id: str, body: Ownership, who: Annotated[Identity, Depends(require(*LEADS))], store: SystemOfRecord
) -> Ownership:
    """The account's tasks for collectors go to its owner from the next one on; the change is in the contact log
    (who gave it to whom). The account must be known to the store (it is once its first action ran)."""
    person = await asyncio.to_thread(store.staff, body.to) if body.to else None
    if body.to and (person is None or not person.active or person.role != "collector"):
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=f"{body.to} is not an active collector")
    team = body.team or (person.team if person else None)
    try:
        await asyncio.to_thread(store.set_owner, account_id, body.to, team, who.by, datetime.now(UTC))
    except NotFound:
        raise HTTPException(HTTPStatus.NOT_FOUND, detail=f"account {account_id} is not in the store yet") from None
    return Ownership(to=body.to, team=team)
