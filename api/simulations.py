"""`POST /v1/simulations`: the policy simulator (simulation/) over a synthetic book or today's open book, for the
leads. The same figures as `collections simulate --json`; `?format=svg` answers the recovery curves' chart instead.
Policies are the deployment's, by name; the simulation runs in a thread of this process (the API never forks),
bounded in size."""

import asyncio
from collections import Counter
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import LEADS, require
from api.state import get_client, get_settings, get_store
from book import Filters
from domain.policy_book import PolicyBook
from insight.exports import BOOK_HEADER, book_rows
from simulation import chart
from simulation.book import SimAccount, SyntheticBook, accounts_from
from simulation.responses import load_model
from simulation.simulator import BOOK, Arm, Outcome, report, simulate

router = APIRouter(prefix="/v1/simulations", tags=["simulations"], dependencies=[Depends(require(*LEADS))])
MAX_API_ACCOUNTS = 100_000
MAX_API_RUNS = 100


class SimulationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accounts: int = Field(default=10_000, ge=1, le=MAX_API_ACCOUNTS, description="accounts of the synthetic book")
    policies: list[Annotated[str, Field(max_length=100)]] = Field(
        default=[BOOK], min_length=1, max_length=6,
        description=f"policies by name; `{BOOK}`: each account under the policy the book gives it",
    )  # fmt: skip
    runs: int = Field(default=20, ge=1, le=MAX_API_RUNS)
    seed: int = Field(default=1, ge=0, le=2**63 - 1)
    days: int = Field(default=120, ge=1, le=1095)
    start: date | None = Field(default=None, description="the first day (default: today, UTC)")
    book: Literal["synthetic", "today"] = Field(
        default="synthetic",
        description="a synthetic book of `accounts`, or today's open book (visibility and the store)",
    )
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$", description="today's book: the accounts in this "
                                 "currency (default: the most common)")  # fmt: skip


@router.post("", summary="Simulate policies over a synthetic book or today's: recovery curves with bands, costs, time "
             "to cash")  # fmt: skip
async def run_simulation(
    body: SimulationRequest, request: Request, format: Annotated[Literal["json", "svg"], Query()] = "json"
) -> Any:
    first_day = body.start or datetime.now(UTC).date()
    try:
        today = await todays_book(request, body.currency) if body.book == "today" else None
        outcomes = await asyncio.to_thread(simulated, body, request.app.state.policies, first_day, today)
    except (ValueError, LookupError) as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    if format == "svg":
        return Response(chart.svg(outcomes), media_type="image/svg+xml")
    context = {"book": body.book, "accounts": outcomes[0].accounts, "first_day": first_day.isoformat(),
               "days": body.days, "runs": body.runs, "seed": body.seed, "model": "default"}  # fmt: skip
    return report(outcomes, context)


async def todays_book(request: Request, currency: str | None) -> list[SimAccount]:
    """The open book as the exports give it (visibility joined with the store), in one currency."""
    scope = Filters(task_queue=get_settings(request).task_queue)
    exported = book_rows(get_client(request), get_store(request), scope)
    rows = [dict(zip(BOOK_HEADER, (_text(cell) for cell in row), strict=False)) async for row in exported]
    currencies = Counter(row["currency"] for row in rows if row["currency"] and "," not in row["currency"])
    if not currencies:
        raise ValueError("today's book has no open account with a balance")
    chosen = currency or currencies.most_common(1)[0][0]
    accounts = list(accounts_from((row for row in rows if row["currency"] == chosen), "today's book"))
    if not accounts:
        raise ValueError(f"today's book has no open account in {chosen}")
    if len(accounts) > MAX_API_ACCOUNTS:
        raise ValueError(f"today's book has {len(accounts):,} accounts in {chosen}: simulate it from an export with "
                         "`collections simulate --book` (the API takes at most {MAX_API_ACCOUNTS:,})")  # fmt: skip
    return accounts


def _text(cell: object) -> str:
    return "" if cell is None else str(cell)


def simulated(body: SimulationRequest, policies: PolicyBook, first_day: date,
              today: list[SimAccount] | None = None) -> list[Outcome]:  # fmt: skip
    """The request's simulation (blocking: run it in a thread), over `today`'s book if given."""
    accounts = today if today is not None else SyntheticBook(accounts=body.accounts).draw(body.seed)
    # The deployment's policies only, by name (never a path over HTTP); an unknown one: ValueError naming the known.
    arms = [Arm(name, None if name == BOOK else policies.by_name(name)) for name in body.policies]
    return simulate(accounts, arms, load_model(), policies, runs=body.runs, seed=body.seed, days=body.days,
                    first_day=first_day)  # fmt: skip
