"""The dashboard as a supervisor and a lawyer use it, each with their own key: Debian's headless Chromium, driven by
Playwright, against the real stack (the dev server, an in-process worker on compressed policies, the app served by
uvicorn)."""

import asyncio
import contextlib
import threading
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Locator, Page, expect
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from edge.ingest import submit
from settings import ROOT, Settings
from store.models import LegalCase
from store.repository import Store
from tests.factories import overdue
from workflows import STATUS, workflow_id

pytestmark = pytest.mark.integration
DAY_SECONDS = 0.05
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A task queue of its own (the dashboard shows only its book), the shipped policies with a day of 0.05 s,
    the store the worker writes to, and the development machine keys."""
    policies = tmp_path / "policies"
    policies.mkdir()
    for path in (ROOT / "policies").glob("*.toml"):
        text = path.read_text().replace("\nversion = 1\n", f"\nversion = 1\nday_seconds = {DAY_SECONDS}\n", 1)
        (policies / path.name).write_text(text)
    monkeypatch.setenv("COLLECTIONS_TASK_QUEUE", f"web-{uuid.uuid4()}")
    monkeypatch.setenv("COLLECTIONS_POLICY_DIR", str(policies))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'outbox' / 'collections.db'}")
    monkeypatch.setenv("COLLECTIONS_LEGAL_DIR", str(tmp_path / "legal"))
    monkeypatch.delenv("COLLECTIONS_API_KEYS", raising=False)
    return Settings.from_env()


async def test_a_supervisor_is_refused_a_general_managers_approval_and_the_general_manager_gives_it(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    worker: None,
    base_url: str,
    browser: Browser,
    keys: dict[str, str],
    tmp_path: Path,
) -> None:
    account = f"WEB-{uuid.uuid4().hex[:8]}"
    step = await start_until_approval(dev_env.client, settings, account)
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    refused: list[str] = []  # what the Content-Security-Policy blocked, if anything
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else 0)

    await page.goto(f"{base_url}/dashboard")
    await expect(page).to_have_url(f"{base_url}/dashboard/login?next=%2Fdashboard")
    await sign_in(page, keys["supervisor"])
    await expect(page.locator("header")).to_contain_text("Wang Fang · supervisor")
    link = page.locator(f"#approvals a[href='/dashboard/accounts/{account}']")
    await reload_until_visible(page, link)  # visibility is a moment behind the workflow
    chart = page.locator("svg.aging[data-currency='CNY']")
    await expect(chart.locator("g[data-bucket='61-90'] text.count")).to_have_text("1 account")
    await expect(chart.locator("g[data-bucket='61-90'] text.amount")).to_have_text("CN¥12,000.00")
    # The stylesheet applies under the CSP, the chart's colours included.
    await expect(page.locator("header")).to_have_css("background-color", "rgb(16, 42, 67)")
    await expect(chart.locator("g[data-bucket='61-90'] rect")).to_have_css("fill", "rgb(249, 115, 22)")
    await expect(page.locator("#accounts")).to_contain_text(account)
    await screenshot(page, tmp_path / "book.png")

    await link.click()
    await expect(page.locator("h1")).to_contain_text(account)
    timeline = page.locator("#timeline")
    await expect(timeline).to_contain_text(f"{step} needs approval")
    await expect(timeline.locator("tr.kind-skipped").first).to_be_visible()
    approval = page.locator(f"#approval-{step}")
    await approval.locator("input[name=reason]").fill("balance confirmed with the debtor")
    await approval.locator("button.approve").click()
    # Seed 002: the boss consents to an order lock; the standard matrix names the general manager.
    await expect(page.locator(".flash.error")).to_contain_text(f"{step} needs a general_manager or above")
    await expect(approval.locator(".badge")).not_to_have_text("approved")

    await page.locator("form[action$='/logout'] button").click()
    await sign_in(page, keys["general_manager"])
    await expect(page.locator("header")).to_contain_text("Chen Jie · general_manager")
    await page.goto(f"{base_url}/dashboard/accounts/{account}")
    await approval.locator("input[name=reason]").fill("balance confirmed with the debtor")
    await approval.locator("button.approve").click()
    await expect(page.locator(".flash.ok")).to_contain_text(f"approve {step} accepted")
    await expect(approval.locator(".badge")).to_have_text("approved")
    await expect(approval).to_contain_text("chen.jie")  # the key's person, no name typed
    status = await account_status(dev_env.client, account)
    assert {a.step: a.state for a in status.approvals}[step] == "approved"

    # A pause until a local time of the debtor's, then a resume.
    commands = page.locator("#commands")
    pause = commands.locator("form[action$='/pause']")
    until = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=3)
    await pause.locator("input[name=until]").fill(until.strftime("%Y-%m-%dT%H:%M"))
    await pause.locator("input[name=reason]").fill("debtor in hospital")
    await pause.locator("button").click()
    await expect(page.locator(".flash.ok")).to_contain_text("pause accepted")
    await expect(page.locator("#summary")).to_contain_text("debtor in hospital")
    await expect(page.locator("#arrangements")).to_contain_text(until.strftime("%Y-%m-%d %H:%M Asia/Shanghai"))
    await commands.locator("form[action$='/resume'] button").click()
    await expect(page.locator(".flash.ok")).to_contain_text("resume accepted")
    await expect(page.locator("#timeline tr.kind-command").last).to_contain_text("resume by chen.jie")

    # A validator's refusal is a message on the page, not an error page.
    promise = commands.locator("form[action$='/promise']")
    await promise.locator("input[name=promised_date]").fill("2099-12-31")
    await promise.locator("button").click()
    await expect(page.locator(".flash.error")).to_contain_text("promise not done")
    await expect(page.locator("h1")).to_contain_text(account)

    await screenshot(page, tmp_path / "account.png")
    assert refused == []


async def test_a_form_posted_from_another_port_is_refused(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    worker: None,
    base_url: str,
    browser: Browser,
    keys: dict[str, str],
) -> None:
    """A page on another port of the same host is the same site: the browser attaches the SameSite=Strict session
    cookie to the form it posts. The CSRF token, which that page cannot read, is what refuses it (such a form once
    wrote off an account through a signed-in browser)."""
    account = f"WEB-{uuid.uuid4().hex[:8]}"
    await start_until_approval(dev_env.client, settings, account)
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base_url}/dashboard/login")
    await sign_in(page, keys["supervisor"])
    await expect(page).to_have_url(f"{base_url}/dashboard")

    target = f"{base_url}/dashboard/accounts/{account}/write-off"
    fields = {"reason": "forged", "confirm": "yes", "command_id": f"evil-{account}", "csrf_token": "guessed"}
    inputs = "".join(f'<input type="hidden" name="{name}" value="{value}">' for name, value in fields.items())
    with another_site(
        f'<form method="post" action="{target}">{inputs}</form><script>document.forms[0].submit()</script>'
    ) as evil:
        forged = await context.new_page()
        await forged.goto(evil)
        await expect(forged).to_have_url(target)
        await expect(forged.locator(".flash.error")).to_contain_text("did not come from this dashboard")

    status = await account_status(dev_env.client, account)
    assert status.outcome is None and "forged" not in str(status.history)
    await page.reload()
    await expect(page.locator("header")).to_contain_text("Wang Fang")  # still signed in: nothing was lost


@contextlib.contextmanager
def another_site(html: str) -> Iterator[str]:
    """A page served from another free port of the same host; yields its URL."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, name="another-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


async def test_the_legal_team_sees_its_inbox_and_reads_the_book(
    base_url: str, store: Store, browser: Browser, keys: dict[str, str], tmp_path: Path
) -> None:
    case_id = f"CASE-WEB-{uuid.uuid4().hex[:8]}"
    reason = "day 105: litigation approved"
    case = LegalCase(
        case_id=case_id,
        account_id="WEB-1",
        workflow_id="collection-WEB-1",
        opened_at=datetime.now(UTC),
        reason=reason,
        package='{"contact_log": [], "documents": []}',
    )
    store.open_case(case)
    page = await browser.new_page()

    await page.goto(f"{base_url}/dashboard/login")
    await sign_in(page, keys["legal"])
    await expect(page).to_have_url(f"{base_url}/dashboard/legal")
    row = page.locator(f"#case-{case_id}")
    await expect(row).to_contain_text(reason)
    await screenshot(page, tmp_path / "legal.png")
    async with page.expect_download() as download:
        await row.locator("a.package").click()
    archive = tmp_path / "package.zip"
    await (await download.value).save_as(archive)
    assert f"{case_id}/README.txt" in zipfile.ZipFile(archive).namelist()

    answer = await page.goto(f"{base_url}/dashboard")  # legal reads the book, and decides nothing there
    assert answer is not None and answer.status == 200
    await expect(page.locator("h1")).to_have_text("The book")
    await expect(page.locator("button.approve")).to_have_count(0)


async def test_an_approval_task_is_decided_from_my_work_at_the_deciders_level(
    dev_env: WorkflowEnvironment,
    settings: Settings,
    worker: None,
    store: Store,
    base_url: str,
    browser: Browser,
    keys: dict[str, str],
) -> None:
    """The approval's task, worked from My work: a supervisor below the level it needs is refused with the reason
    (a message on the task's page), the general manager approves it and the task closes with the decision."""
    account = f"WEB-{uuid.uuid4().hex[:8]}"
    step = await start_until_approval(dev_env.client, settings, account)
    for _ in range(100):
        asked = [t for t in store.tasks(account, "open") if t.kind == "approval_request"]
        if asked:
            break
        await asyncio.sleep(0.1)
    else:
        pytest.fail(f"no approval task on {account}")
    task = asked[0]
    page = await browser.new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"{base_url}/dashboard/login")
    await sign_in(page, keys["supervisor"])
    await page.locator("header nav a", has_text="My work").click()
    await page.locator("a.tab", has_text="Everybody").click()
    await page.locator(f"#task-{task.id} a.open").click()
    form = page.locator("#approval-form")
    await form.locator("input[name=reason]").fill("orders stop until paid")
    await form.locator("button.approve").click()
    await expect(page.locator(".flash.error")).to_contain_text(f"{step} needs a general_manager or above")
    await expect(page.locator("#approval-form")).to_have_count(1)

    await page.locator("form[action$='/logout'] button").click()
    await sign_in(page, keys["general_manager"])
    await page.goto(f"{base_url}/dashboard/tasks/{task.id}")
    await form.locator("input[name=reason]").fill("orders stop until paid")
    await form.locator("button.approve").click()
    await expect(page.locator(".flash.ok")).to_contain_text(f"Task {task.id} done: approved by chen.jie")
    status = await account_status(dev_env.client, account)
    assert {a.step: (a.state, a.decided_by) for a in status.approvals}[step] == ("approved", "chen.jie")


async def start_until_approval(client: Client, settings: Settings, account: str) -> str:
    """Open an account 89 days past due; the day-90 step needs approval at once. Returns that step."""
    now = datetime.now(UTC)
    due = now.astimezone(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=89)
    event = overdue(account_id=account, event_id=f"{account}-1", occurred_at=now, due_date=due)
    book = PolicyBook(settings.policy_dir)
    assert await submit(client, event, book, task_queue=settings.task_queue) == "started"
    for _ in range(200):
        status = await account_status(client, account)
        if status.pending_approvals:
            return status.pending_approvals[0].step
        await asyncio.sleep(DAY_SECONDS)
    pytest.fail(f"no approval asked on {account}")


async def account_status(client: Client, account: str) -> AccountStatus:
    handle = client.get_workflow_handle(workflow_id(account))
    return await handle.query(STATUS, datetime.now(UTC), result_type=AccountStatus)


async def screenshot(page: Page, path: Path) -> None:
    """The whole page as a person sees it, kept with the test's files for a look."""
    await page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(PNG_SIGNATURE)


async def sign_in(page: Page, key: str) -> None:
    await page.fill("input[name=api_key]", key)
    await page.click("form button[type=submit]:has-text('Sign in')")


async def reload_until_visible(page: Page, locator: Locator, attempts: int = 50) -> None:
    for _ in range(attempts):
        if await locator.count():
            return
        await asyncio.sleep(0.2)
        await page.reload()
    pytest.fail(f"never shown on {page.url}: {locator}")
