"""The API against the real thing: the dev server (`dev_env`), a real worker in-process on a task queue of its own,
the worker's SQLite store (with one person of each role, `tests.staff`), and the app called in-process through httpx
with its lifespan running."""

import contextlib
import re
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.auth import DEV_KEYS
from domain.policy import DEFAULT_POLICY_DIR
from settings import Settings
from store.db import make_engine
from store.repository import Store
from tests.factories import event_dict
from tests.polling import eventually
from tests.staff import hire_everyone
from worker import build_worker
from workflows import workflow_id

T = TypeVar("T")


def standard_with_only(monkeypatch: pytest.MonkeyPatch, folder: Path, *actions: str) -> None:
    """The app reads a standard policy with only these actions' steps, and letters issued at any hour of any day: for
    tests in real time that must reach a step without the steps before it (the written demand, then its 14 days),
    whatever the day and hour they run. Use before the `api` fixture."""
    text = (DEFAULT_POLICY_DIR / "standard.toml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if 'action = "' not in line or any(f'"{a}"' in line for a in actions)]
    lines += ["[contact.office_hours]", "start = 00:00:00", "end = 23:59:59", "weekdays = [1, 2, 3, 4, 5, 6, 7]",
              "holidays = true"]  # fmt: skip
    folder.mkdir()
    (folder / "standard.toml").write_text(re.sub(r', after = "[^"]*", after_days = \d+', "", "\n".join(lines)))
    monkeypatch.setenv("COLLECTIONS_POLICY_DIR", str(folder))


MACHINE_KEYS = {role: key for key, role in DEV_KEYS.items()}  # the development machine keys, by role


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"tq-api-{uuid.uuid4()}"
    monkeypatch.setenv("COLLECTIONS_TASK_QUEUE", name)
    monkeypatch.delenv("COLLECTIONS_API_KEYS", raising=False)  # the development keys
    return name


@pytest_asyncio.fixture
async def worker(dev_env: WorkflowEnvironment, queue: str, tmp_path: Path) -> AsyncIterator[Path]:
    """The worker; yields its outbox folder, where its SQLite store lives."""
    outbox = tmp_path / "outbox"
    async with build_worker(dev_env.client, outbox, task_queue=queue):
        yield outbox


@pytest.fixture
def store(worker: Path) -> Iterator[Store]:
    store = Store(make_engine(f"sqlite:///{worker / 'collections.db'}"))
    yield store
    store.close()


@contextlib.asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan running (httpx's ASGI transport does not run it), called in-process."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


@contextlib.contextmanager
def serve_http(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn on a free port, from a thread with its own event loop; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="on", log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    else:
        pytest.fail("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def offline_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FastAPI]:
    """The app with a store of its own and a Temporal client that is never reached, on the development keys: for
    what must hold before any route calls Temporal."""
    monkeypatch.delenv("COLLECTIONS_API_KEYS", raising=False)
    store = Store.open(f"sqlite:///{tmp_path / 'collections.db'}")
    try:
        yield create_app(Settings.from_env(), client=cast(Client, object()), store=store)
    finally:
        store.close()


@dataclass
class Api:
    """The app as a person of each role calls it (`keys`: their keys by role, and the machine keys as `<role>-key`),
    plus the accounts a test opened (terminated at the end)."""

    app: FastAPI
    http: httpx.AsyncClient
    client: Client
    queue: str
    keys: dict[str, str]
    opened: list[str] = field(default_factory=list)

    async def call(self, method: str, path: str, role: str | None = "supervisor", **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {}) | ({"X-API-Key": self.keys[role]} if role else {})
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, role: str | None = "supervisor", **kwargs: Any) -> httpx.Response:
        return await self.call("GET", path, role, **kwargs)

    async def post(self, path: str, role: str | None = "supervisor", **kwargs: Any) -> httpx.Response:
        return await self.call("POST", path, role, **kwargs)

    def event(self, **overrides: Any) -> dict:
        """A valid event for a fresh account (remembered for the clean-up), by default 1 day past due in UTC."""
        overrides.setdefault("account_id", f"API-{uuid.uuid4().hex[:8]}")
        overrides.setdefault("event_id", f"evt-{uuid.uuid4().hex[:8]}")
        overrides.setdefault("occurred_at", datetime.now(UTC))
        overrides.setdefault("timezone", "UTC")
        if "days_past_due" in overrides:
            overrides["due_date"] = utc_today() - timedelta(days=overrides.pop("days_past_due"))
        self.opened.append(overrides["account_id"])
        return event_dict(**overrides)

    async def open_account(self, **overrides: Any) -> str:
        """An account started through POST /v1/events."""
        event = self.event(**overrides)
        response = await self.post("/v1/events", "ops-key", json=event)
        assert response.status_code == 200, response.text
        assert [r["result"] for r in response.json()] == ["started"], response.text
        return event["account_id"]

    async def status(self, account: str) -> dict:
        response = await self.get(f"/v1/accounts/{account}")
        assert response.status_code == 200, response.text
        return response.json()

    async def status_until(self, account: str, done: Callable[[dict], bool]) -> dict:
        return await eventually(lambda: self.status(account), done)

    async def terminate_opened(self) -> None:
        for account in self.opened:
            handle = self.client.get_workflow_handle(workflow_id(account))
            with contextlib.suppress(RPCError):
                if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate("test over")


@pytest_asyncio.fixture
async def api(dev_env: WorkflowEnvironment, queue: str, store: Store) -> AsyncIterator[Api]:
    app = create_app(Settings.from_env(), client=dev_env.client, store=store)
    keys = hire_everyone(store) | {f"{role}-key": key for role, key in MACHINE_KEYS.items()}
    async with serve(app) as http:
        api = Api(app, http, dev_env.client, queue, keys)
        try:
            yield api
        finally:
            await api.terminate_opened()


def utc_today() -> date:
    return datetime.now(UTC).date()
