"""Collection agencies over HTTP.

`/v1/agency/...` is the agency's own (role `agency`; its key's team is the agency's id): the accounts placed with it
and nothing else, its reports of contacts and promises (update `agency_report`), and the payments it collects (signal
`payment_received`). An account not placed with the caller's agency is 404, whoever's it is.

`/v1/agencies/...` is for the leads: an agency's statement for a month (each payment with its commission, totals
per currency) and the performance of every agency by age bucket, from the store."""

import asyncio
from datetime import datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from pydantic import BaseModel, Field

from api.auth import LEADS, Identity, require
from api.commands import COMMAND_ID_HEADER, PaymentBody, SignalSent, record_payment
from api.errors import temporal_errors
from api.state import SystemOfRecord, TemporalClient
from domain.agencies import Placement
from domain.agency_commands import AgencyReport
from domain.agency_reports import PerformanceRow, PlacedPayment, Statement, monthly_statement, performance
from domain.bounds import Note
from domain.commands import PromiseTerms
from domain.status import AccountStatus
from edge.client import account, new_command_id
from edge.identity import AGENCY
from store.models import AgencyPlacement
from store.repository import Store
from workflows import AGENCY_REPORT

agency_router = APIRouter(prefix="/v1/agency", tags=["agencies"])
leads_router = APIRouter(prefix="/v1/agencies", tags=["agencies"], dependencies=[Depends(require(*LEADS))])
Agent = Annotated[Identity, Depends(require(AGENCY))]


class PlacedAccount(BaseModel):
    account_id: str
    placement_id: str
    placed_at: datetime
    days_past_due: int = Field(description="at placement")
    placed_amount: Decimal
    currency: str
    rate: Decimal
    collected: Decimal
    commission: Decimal
    first_report_at: datetime | None
    last_result_at: datetime | None


class ReportBody(BaseModel):
    command_id: str | None = Field(default=None, description="the same id applies once (default: a fresh one)")
    kind: Literal["contact", "promise"]
    note: Note = ""
    promise: PromiseTerms | None = None


@agency_router.get("/accounts", response_model=list[PlacedAccount], summary="The accounts placed with your agency")
async def placed_accounts(store: SystemOfRecord, agent: Agent) -> list[PlacedAccount]:
    rows = await asyncio.to_thread(store.placements, _agency_of(agent))
    return [PlacedAccount.model_validate(row.model_dump()) for row in rows if row.recalled_at is None]


@agency_router.post("/accounts/{account_id}/reports", response_model=PlacedAccount,
                    summary="Report a contact made or a promise obtained")  # fmt: skip
async def report(
    account_id: str, body: ReportBody, response: Response, store: SystemOfRecord, client: TemporalClient, agent: Agent
) -> PlacedAccount:
    await _placed_with(store, agent, account_id)
    command = AgencyReport(command_id=body.command_id or new_command_id("api"), by=agent.by, kind=body.kind,
                           agency_id=_agency_of(agent), note=body.note, promise=body.promise)  # fmt: skip
    response.headers[COMMAND_ID_HEADER] = command.command_id
    with temporal_errors(account_id, command.command_id):
        status_now = await account(client, account_id).execute_update(AGENCY_REPORT, command, result_type=AccountStatus)
    return _latest(status_now.placements[-1], account_id)


@agency_router.post("/accounts/{account_id}/payments", response_model=SignalSent, status_code=status.HTTP_202_ACCEPTED,
                    summary="Record a payment the agency collected (idempotent by payment_id)")  # fmt: skip
async def agency_payment(
    account_id: str,
    body: PaymentBody,  # type: ignore[valid-type]
    store: SystemOfRecord,
    client: TemporalClient,
    agent: Agent,
) -> SignalSent:
    await _placed_with(store, agent, account_id)
    return await record_payment(client, account_id, body, agent)


@leads_router.get("/{agency_id}/statements/{month}", response_model=Statement,
                  summary="An agency's payments and commission in a month (UTC), with totals per currency")  # fmt: skip
async def statement(
    agency_id: str,
    month: Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")],
    store: SystemOfRecord,
) -> Statement:
    rows = await asyncio.to_thread(store.agency_payments, agency_id)
    payments = [PlacedPayment.model_validate(row.model_dump(exclude={"id"})) for row in rows]
    year, number = (int(part) for part in month.split("-"))
    return monthly_statement(agency_id, year, number, payments)


@leads_router.get("/performance", response_model=list[PerformanceRow],
                  summary="Placed, recovered, commission, recovery rate by agency, age bucket, currency")  # fmt: skip
async def agency_performance(store: SystemOfRecord) -> list[PerformanceRow]:
    rows = await asyncio.to_thread(store.placements)
    return performance((row.account_id, _placement(row)) for row in rows)


def _agency_of(agent: Identity) -> str:
    if not agent.team:
        raise HTTPException(HTTPStatus.FORBIDDEN, detail=f"{agent.by} has no agency (an agency's staff have its id as "
                            "their team)")  # fmt: skip
    return agent.team


async def _placed_with(store: Store, agent: Identity, account_id: str) -> AgencyPlacement:
    rows = await asyncio.to_thread(store.placements, _agency_of(agent), account_id)
    placed = next((row for row in rows if row.recalled_at is None), None)
    if placed is None:
        raise HTTPException(HTTPStatus.NOT_FOUND, detail=f"account {account_id} is not placed with your agency")
    return placed


def _placement(row: AgencyPlacement) -> Placement:
    return Placement.model_validate(row.model_dump(exclude={"id", "account_id", "complaints"}))


def _latest(placement: Placement, account_id: str) -> PlacedAccount:
    return PlacedAccount.model_validate(placement.model_dump() | {"account_id": account_id})
