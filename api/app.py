"""The application: `create_app()` wires settings, the Temporal client, the store and the routers.

    uvicorn api.app:create_app --factory --host 0.0.0.0 --port 8000

Configuration is the project's (`settings.Settings.from_env()`: the Temporal client profile, DATABASE_URL, the
codec's CORS origins, ...), kept on `app.state.settings` for the routes, plus the machine keys of
`COLLECTIONS_API_KEYS` (see `api.auth`; people's keys are checked against the store's staff register). Tests and
embedders pass their own settings, client and store; what is not given is opened by the lifespan: a Temporal client
(`settings.connect()`, so the app does not start while Temporal is unreachable: it cannot serve anything without it)
and the store (migrated to head when the database answers; when it does not, the app starts anyway and `/readyz`
says so until it does).
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client

import api.codec
import api.dashboard
from api import (
    accounts,
    agencies,
    commands,
    deliveries,
    events,
    exports,
    health,
    legal,
    reports,
    simulations,
    staff,
    tasks,
)
from api.auth import load_keys
from api.limits import Guard
from api.sessions import Sessions
from settings import Settings
from store.db import make_engine, migrate
from store.repository import Store

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, client: Client | None = None, store: Store | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = None
        if app.state.client is None:
            app.state.client = await settings.connect()
        if app.state.store is None:
            app.state.store = opened = open_store(settings.database_url)
        try:
            yield
        finally:
            if opened is not None:
                opened.close()
                app.state.store = None

    app = FastAPI(
        title="Collections orchestrator",
        version="1",
        summary="Events in, operator commands, the book, reports and the legal inbox.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.client = client
    app.state.store = store
    app.state.policies = settings.policies()
    app.state.api_keys = load_keys(warn=True)
    app.state.sessions = Sessions()  # the dashboard's sign-ins, in this process (api/sessions.py)
    for module in (health, events, accounts, commands, deliveries, reports, exports, simulations, legal, staff, tasks):
        app.include_router(module.router)
    app.include_router(agencies.agency_router)
    app.include_router(agencies.leads_router)
    app.include_router(api.dashboard.router)
    app.include_router(api.codec.router)  # the Web UI's codec endpoint (payload encryption)
    app.add_middleware(Guard)  # bodies bounded and keys checked before any route reads a body (api/limits.py)
    return app


def open_store(url: str) -> Store:
    """The store at `url`, migrated when the database answers. The worker migrates too at its start; an API that
    cannot reach the database yet still starts, and its /readyz reports the database until it answers."""
    try:
        migrate(url)
    except SQLAlchemyError as error:
        log.error("database not reachable at start (%s): /readyz will report it", str(error).splitlines()[0])
    return Store(make_engine(url))
