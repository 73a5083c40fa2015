"""`POST /v1/simulations`: the policy simulator (simulation/) over a synthetic book, for the leads. The same figures
as `collections simulate --json`; `?format=svg` answers the recovery curves' chart instead. Policies are the
deployment's, by name; the simulation runs in a thread of this process (the API never forks), bounded in size."""

import asyncio
from datetime import UTC, date, datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import LEADS, require
from domain.policy import PolicyBook
from simulation import chart
from simulation.book import SyntheticBook
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


@router.post("", summary="Simulate policies over a synthetic book: recovery curves with bands, costs, time to cash")
async def run_simulation(
    body: SimulationRequest, request: Request, format: Annotated[Literal["json", "svg"], Query()] = "json"
) -> Any:
    first_day = body.start or datetime.now(UTC).date()
    try:
        outcomes = await asyncio.to_thread(simulated, body, request.app.state.policies, first_day)
    except (ValueError, LookupError) as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    if format == "svg":
        return Response(chart.svg(outcomes), media_type="image/svg+xml")
    context = {"book": "synthetic", "accounts": body.accounts, "first_day": first_day.isoformat(), "days": body.days,
               "runs": body.runs, "seed": body.seed, "model": "default"}  # fmt: skip
    return report(outcomes, context)


def simulated(body: SimulationRequest, policies: PolicyBook, first_day: date) -> list[Outcome]:
    """The request's simulation (blocking: run it in a thread)."""
    accounts = SyntheticBook(accounts=body.accounts).draw(body.seed)
    # The deployment's policies only, by name (never a path over HTTP); an unknown one: ValueError naming the known.
    arms = [Arm(name, None if name == BOOK else policies.by_name(name)) for name in body.policies]
    return simulate(accounts, arms, load_model(), policies, runs=body.runs, seed=body.seed, days=body.days,
                    first_day=first_day)  # fmt: skip
