"""`GET /healthz` (the process is up) and `GET /readyz` (it can serve: Temporal and the database answer).
No key needed: load balancers and orchestrators call them. `/readyz` says what failed, with 503."""

import asyncio
from collections.abc import Awaitable
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from temporalio.client import Client

from store.repository import Store

CHECK_TIMEOUT = timedelta(seconds=5)

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Temporal and the database are reachable (503 says which is not)")
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks = {
        "temporal": await _check(_temporal(getattr(state, "client", None))),
        "database": await _check(asyncio.to_thread(_select_one, getattr(state, "store", None))),
    }
    ready = all(result == "ok" for result in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


async def _temporal(client: Client | None) -> None:
    if client is None:
        raise RuntimeError("not connected")
    if not await client.service_client.check_health(timeout=CHECK_TIMEOUT):
        raise RuntimeError("the workflow service is not serving")


def _select_one(store: Store | None) -> None:
    if store is None:
        raise RuntimeError("no store")
    with store.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


async def _check(probe: Awaitable[None]) -> str:
    """ "ok", or what went wrong (the first line of the error), within CHECK_TIMEOUT."""
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT.total_seconds())
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT.seconds}s"
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(": ")
    return "ok"
