"""/healthz and /readyz: no key needed; ready only when Temporal and the database both answer."""

import socket

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from tests.api.conftest import Api, serve

pytestmark = pytest.mark.integration


def closed_port() -> int:
    """A port nothing listens on (just released by the OS)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_healthz_and_readyz_when_all_is_well(api: Api) -> None:
    response = await api.get("/healthz", None)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    response = await api.get("/readyz", None)
    assert (response.status_code, response.json()) == (
        200,
        {"ready": True, "checks": {"temporal": "ok", "database": "ok"}},
    )


async def test_an_unreachable_database_is_not_ready_but_the_app_starts(dev_env: WorkflowEnvironment) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{closed_port()}/collections"
    settings = Settings.from_env().model_copy(update={"database_url_env": url})
    app = create_app(settings, client=dev_env.client)  # the lifespan opens the store, and cannot migrate it

    async with serve(app) as http:
        assert (await http.get("/healthz")).status_code == 200
        response = await http.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and body["checks"]["temporal"] == "ok"
    assert body["checks"]["database"].startswith("OperationalError")


async def test_an_unreachable_temporal_is_not_ready(api: Api) -> None:
    client = await Client.connect(f"127.0.0.1:{closed_port()}", lazy=True)
    app = create_app(client=client, store=api.app.state.store)
    async with serve(app) as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok" and response.json()["checks"]["temporal"] != "ok"
