"""My work as a collector uses it: Debian's headless Chromium against the real stack (the dev server, the real worker
on the shipped policies in real time, the app served by uvicorn). Li Na signs in, finds her call tasks most valuable
first, records a promise taken on the top one, and the account shows it; a call over the day's cap is refused with
the reason."""

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.commands import RecordContact
from domain.policy_book import PolicyBook
from edge.client import send
from edge.ingest import submit
from edge.operations import OPERATIONS
from settings import Settings
from store.models import Task
from store.repository import Store
from tests.api.conftest import standard_with_only
from tests.api.test_tasks import daytime_zone
from tests.browser.test_dashboard import account_status, screenshot, sign_in
from tests.factories import overdue

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The standard policy's call task alone in real time (a late entrant would get the demand letter first, and its
    14 days cannot pass; the debtor's hours apply), a task queue and a store of the test's own, the development
    machine keys."""
    monkeypatch.setenv("COLLECTIONS_TASK_QUEUE", f"work-{uuid.uuid4()}")
    standard_with_only(monkeypatch, tmp_path / "policies", "create_call_task")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'outbox' / 'collections.db'}")
    monkeypatch.setenv("COLLECTIONS_LEGAL_DIR", str(tmp_path / "legal"))
    monkeypatch.delenv("COLLECTIONS_API_KEYS", raising=False)
    yield Settings.from_env()


async def open_call_account(client: Client, settings: Settings, store: Store, amount: str) -> tuple[str, Task]:
    """An account 35 days past due where it is daytime now: the day-35 call task is given at once. Returns the
    account and its task row, once the worker has written it."""
    account = f"WORK-{uuid.uuid4().hex[:8]}"
    zone = daytime_zone()
    now = datetime.now(UTC)
    due = now.astimezone(ZoneInfo(zone)).date() - timedelta(days=35)
    event = overdue(account_id=account, event_id=f"{account}-1", occurred_at=now, due_date=due, timezone=zone,
                    amount=amount)  # fmt: skip
    assert await submit(client, event, PolicyBook(settings.policy_dir), task_queue=settings.task_queue) == "started"
    for _ in range(300):
        rows = [t for t in await asyncio.to_thread(store.tasks, account) if t.kind == "collector_call"]
        if rows:
            return account, rows[0]
        await asyncio.sleep(0.2)
    pytest.fail(f"no call task on {account}")


async def signed_in_collector(browser: Browser, base_url: str, key: str) -> Page:
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{base_url}/dashboard/login")
    await sign_in(page, key)
    await expect(page.locator("header")).to_contain_text("Li Na · collector")
    return page


async def test_a_collector_works_her_queue_top_first_and_the_account_shows_her_promise_and_call(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    worker: None,
    store: Store,
    base_url: str,
    browser: Browser,
    keys: dict[str, str],
    tmp_path: Path,
) -> None:
    small, _ = await open_call_account(dev_env.client, settings, store, "8000.00")
    large, task = await open_call_account(dev_env.client, settings, store, "20000.00")  # 20,000 × (1 + 35/30)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    refused: list[str] = []  # what the Content-Security-Policy blocked, if anything
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else 0)

    await page.goto(f"{base_url}/dashboard/login")
    await sign_in(page, keys["collector"])
    await expect(page).to_have_url(f"{base_url}/dashboard/work")  # a collector lands on her work
    await expect(page.locator("header nav")).to_contain_text("My work")
    rows = page.locator("#tasks tr.task")
    await expect(rows).to_have_count(2)
    await expect(rows.nth(0).locator("td.account")).to_have_text(large)  # the most valuable first
    await expect(rows.nth(1).locator("td.account")).to_have_text(small)
    await expect(rows.nth(0).locator("td.priority")).to_have_text("43,333")
    await expect(rows.nth(0).locator(".sla")).to_have_text("on time")
    await screenshot(page, tmp_path / "work.png")

    await rows.nth(0).locator("a.open").click()
    await expect(page).to_have_url(f"{base_url}/dashboard/tasks/{task.id}")
    await expect(page.locator("#instructions")).to_contain_text(f"about account {large}")
    await expect(page.locator("#day-counts")).to_have_text("calls today 0/10, conversations 0/5")
    await expect(page.locator("#permitted")).to_contain_text("calls allowed now")
    await screenshot(page, tmp_path / "task.png")
    if await page.locator("button.claim").count():  # not given to her already (the account has no owner yet)
        await page.locator("button.claim").click()
        await expect(page.locator(".flash.ok")).to_contain_text("claimed")
    await expect(page.locator("#holder")).to_contain_text("li.na")

    promised = (datetime.now(ZoneInfo(daytime_zone())) + timedelta(days=10)).date()
    call = page.locator("#call-form")
    await call.locator("input[name=result][value=promise]").check()
    await call.locator("input[name=promise_amount]").fill("20000.00")
    await call.locator("input[name=promise_date]").fill(promised.isoformat())
    await call.locator("textarea[name=notes]").fill("pays by transfer <on time>")
    await call.locator("input[name=duration_minutes]").fill("6")
    await call.locator("button[type=submit]").click()
    await expect(page.locator(".flash.ok")).to_contain_text(f"Task {task.id} done: call reached (by li.na)")
    await expect(page.locator("#outcome")).to_contain_text("done")
    await expect(page.locator("#complete")).to_have_count(0)
    await expect(page.locator("#task-promises")).to_contain_text("li.na")

    await page.locator(f"#task a[href='/dashboard/accounts/{large}']").click()
    promise = page.locator("#arrangements tbody tr").first
    await expect(promise).to_contain_text("CN¥20,000.00")
    await expect(promise).to_contain_text(promised.isoformat())
    await expect(promise).to_contain_text("li.na")
    contact = page.locator("#contacts tr.contact")
    await expect(contact).to_have_count(1)
    await expect(contact).to_contain_text("call")
    await expect(contact).to_contain_text("reached, 6 min")
    await expect(contact).to_contain_text("li.na")
    await expect(contact).to_contain_text("pays by transfer <on time>")
    await expect(page.locator("#work-d035-create_call_task")).to_contain_text("li.na: call reached")
    await screenshot(page, tmp_path / "account.png")

    await page.goto(f"{base_url}/dashboard/work")
    await expect(rows).to_have_count(1)  # done: out of her open queue
    status = await account_status(dev_env.client, large)
    assert [(p.amount, p.taken_by) for p in status.promises] == [(20000, "li.na")]
    assert refused == []


async def test_a_call_over_the_days_cap_is_refused_with_the_reason(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    worker: None,
    store: Store,
    base_url: str,
    browser: Browser,
    keys: dict[str, str],
) -> None:
    account, task = await open_call_account(dev_env.client, settings, store, "8000.00")
    record = OPERATIONS["record-contact"]
    for n in range(10):  # the day's ten call attempts, made outside the task (as the command line records them)
        attempt = RecordContact(command_id=f"cap-{account}-{n}", by="li.na", channel="call", result="no_answer",
                                at=datetime.now(UTC))  # fmt: skip
        await send(dev_env.client, account, record, attempt)

    page = await signed_in_collector(browser, base_url, keys["collector"])
    await page.goto(f"{base_url}/dashboard/tasks/{task.id}")
    await expect(page.locator("#day-counts")).to_have_text("calls today 10/10, conversations 0/5")
    await expect(page.locator("#permitted")).to_contain_text("at most 10 calls a day")
    call = page.locator("#call-form")
    await call.locator("input[name=result][value=no_answer]").check()
    await call.locator("button[type=submit]").click()
    error = page.locator(".flash.error")
    await expect(error).to_contain_text(f"Task {task.id} (complete) not done: 10 calls already on the debtor's day")
    await expect(error).to_contain_text("at most 10 a day")
    await expect(page.locator("h1")).to_contain_text(f"Task {task.id}")  # the task's page, not an error page
    await expect(page.locator("#call-form")).to_have_count(1)  # still open
    status = await account_status(dev_env.client, account)
    assert len(status.contacts) == 10 and [t.state for t in store.tasks(account) if t.id == task.id] == ["open"]

    await page.locator(f"#task a[href='/dashboard/accounts/{account}']").click()  # the account links the open task
    await expect(page.locator("#contacts tr.contact")).to_have_count(10)
    await page.locator(f"#work-d035-create_call_task a[href='/dashboard/tasks/{task.id}']").click()
    await expect(page.locator("h1")).to_contain_text(f"Task {task.id}")
