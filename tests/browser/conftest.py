"""The browser tests' stack: the real worker on the test's task queue, its store (one person of each role), the app
served by uvicorn, and Debian's headless Chromium. Each module says which `settings` (policies, queue, store) it runs
on. The API tests' offline app serves the dashboard's page tests too."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, async_playwright
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from settings import Settings
from store.repository import Store
from tests.api.conftest import offline_app, serve_http  # noqa: F401 - the fixture
from tests.staff import hire_everyone
from worker import build_worker

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest_asyncio.fixture
async def worker(dev_env: WorkflowEnvironment, settings: Settings, tmp_path: Path) -> AsyncIterator[None]:
    """The real worker, in this process; it migrates the store the app reads."""
    async with build_worker(dev_env.client, tmp_path / "outbox", task_queue=settings.task_queue):
        yield
        await terminate_running(dev_env.client, settings.task_queue)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store.open(settings.database_url)
    yield store
    store.close()


@pytest.fixture
def keys(store: Store) -> dict[str, str]:
    """One person of each role (`tests.staff`): their keys by role."""
    return hire_everyone(store)


@pytest.fixture
def base_url(dev_env: WorkflowEnvironment, settings: Settings, store: Store) -> Iterator[str]:
    """The real app, served by uvicorn on a free port from a thread with its own event loop."""
    with serve_http(create_app(settings, client=dev_env.client, store=store)) as url:
        yield url


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    """Debian's Chromium (`apt-get install chromium`): Playwright's own browser builds are never downloaded."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's package (apt-get install -y chromium)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def terminate_running(client: Client, task_queue: str) -> None:
    """Long ladders outlive a test: end what is still running on the test's queue."""
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'"
    async for execution in client.list_workflows(query):
        if execution.status == WorkflowExecutionStatus.RUNNING:
            await client.get_workflow_handle(execution.id).terminate(reason="test over")
