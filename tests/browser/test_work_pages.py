"""My work without Temporal or a browser: who lands on it, the queue's order and tabs, claiming and releasing, the
form each kind of task draws, the contact rules shown before a call, and a bad form as a message. Tasks are rows of
the app's store; an account's status is the status query's answer built from a state (stubbed)."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.dashboard import pages, work
from api.dashboard.signin import CSRF_FIELD
from domain.arrangements import ContactRecord
from domain.policy_book import PolicyBook
from domain.status import account_status
from edge.work import TaskView, completion
from store.models import Account, Task
from store.repository import Store
from tests.browser.test_pages import form_token, sign_in
from tests.domain.simulate import open_account
from tests.staff import hire, hire_everyone


@pytest.fixture
def web(offline_app: FastAPI) -> TestClient:
    return TestClient(offline_app, follow_redirects=False)


@pytest.fixture
def keys(offline_app: FastAPI) -> dict[str, str]:
    return hire_everyone(offline_app.state.store)


@pytest.fixture
def store(offline_app: FastAPI) -> Store:
    return offline_app.state.store


def give(store: Store, kind: str = "collector_call", pool: str = "collector", priority: float = 100.0,
         step: str = "d035-create_call_task", account: str = "ACC-1", **fields: object) -> int:  # fmt: skip
    """A task row, as the worker writes it."""
    row = store.create_task(
        Task(idempotency_key=f"{account}-{step}-{uuid.uuid4().hex[:6]}", account_id=account, kind=kind,
             assignee_role=pool, summary=f"{kind} on {account}", body="Call the debtor.\nAsk when <they> pay.",
             due_at=datetime.now(UTC) + timedelta(days=2), step=step, priority=priority, **fields)  # type: ignore[arg-type]
    )  # fmt: skip
    assert row.id is not None
    return row.id


def post(web: TestClient, path: str, data: dict[str, str]) -> httpx.Response:
    """A form of the pages, posted with the session's CSRF token."""
    return web.post(path, data=data | {CSRF_FIELD: form_token(web.get("/dashboard/work"))})


def flash(web: TestClient, answer: httpx.Response) -> str:
    """The flash message of the page a POST redirected to."""
    assert answer.status_code == 303, answer.text
    found = re.search(
        r'<p class="flash (ok|error)" role="status">([^<]*)</p>', web.get(answer.headers["location"]).text
    )
    assert found, "no flash message"
    return f"{found.group(1)}: {found.group(2)}"


@pytest.fixture
def status_of(monkeypatch: pytest.MonkeyPatch) -> list:
    """Stubs the status query: the account's status built from a state (`ACC-1`, 35 days past due in Shanghai); the
    list returned holds its contact records, to add calls to."""
    now = datetime.now(UTC)
    state = open_account(PolicyBook().for_segment("standard"), now - timedelta(days=1))

    async def status(client: object, account_id: str) -> object:
        return account_status(state, datetime.now(UTC))

    monkeypatch.setattr(pages, "account_status", status)
    return state.contact_records


def test_collectors_and_ops_land_on_my_work_and_everybody_but_admin_has_it(
    web: TestClient, keys: dict[str, str]
) -> None:
    for role in ("collector", "ops"):
        assert sign_in(web, keys[role]).headers["location"] == "/dashboard/work"
        page = web.get("/dashboard/work")
        assert page.status_code == 200 and '<a href="/dashboard/work">My work</a>' in page.text
        assert "Nothing open here." in page.text
    assert sign_in(web, keys["supervisor"]).headers["location"] == "/dashboard"  # leads: the book
    assert sign_in(web, keys["legal"]).headers["location"] == "/dashboard/legal"
    assert '<a href="/dashboard/work">My work</a>' in web.get("/dashboard/legal").text
    sign_in(web, keys["admin"])
    answer = web.get("/dashboard/work")
    assert answer.status_code == 403 and "My work</a>" not in answer.text


def test_the_queue_is_most_valuable_first_with_claim_buttons_and_due_times_in_the_debtors_zone(
    web: TestClient, keys: dict[str, str], store: Store
) -> None:
    debtor = {"timezone": "Asia/Shanghai", "locale": "zh-CN", "segment": "standard", "policy": "standard v1"}
    store.upsert_account(Account(account_id="ACC-2", workflow_id="collection-ACC-2", debtor_name="D", **debtor))
    low = give(store, priority=17333.3, account="ACC-1")
    high = give(store, priority=43333.3, account="ACC-2")
    held = give(store, priority=90000.0, account="ACC-3", assignee="somebody.else")
    manager = give(store, kind="manager_escalation", pool="collections_manager", priority=99999.0)
    sign_in(web, keys["collector"])
    page = web.get("/dashboard/work").text
    assert re.findall(r'<tr id="task-(\d+)"', page) == [str(high), str(low)]  # not another's, nor a manager's
    assert "43,333" in page and page.count('class="claim"') == 2
    shanghai = (datetime.now(UTC) + timedelta(days=2)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{shanghai:%a %Y-%m-%d %H:%M} Asia/Shanghai" in page and "on time" in page
    assert "?scope=team" not in page  # no tabs for a collector
    refused = web.get("/dashboard/work?scope=all")
    assert refused.status_code == 403 and "the all queue is for leads" in refused.text

    sign_in(web, keys["supervisor"])
    page = web.get("/dashboard/work?scope=all").text
    assert "?scope=team" in page and re.findall(r'<tr id="task-(\d+)"', page) == [str(manager), str(held), str(high),
                                                                                   str(low)]  # fmt: skip


def test_a_task_is_claimed_released_and_reassigned_from_its_page(
    web: TestClient, keys: dict[str, str], store: Store, status_of: list
) -> None:
    task = give(store)
    sign_in(web, keys["collector"])
    assert flash(web, post(web, f"/dashboard/tasks/{task}/claim", {})) == f"ok: Task {task} is yours: claimed."
    page = web.get(f"/dashboard/tasks/{task}").text
    assert '<dd id="holder">li.na' in page and "Release to the pool" in page and "/reassign" not in page
    assert "Ask when &lt;they&gt; pay." in page  # the instructions, escaped

    other = hire(store, "collector", "wu.lei", name="Wu Lei")
    sign_in(web, other)  # another's task is not theirs to see (as the API: 404)
    assert web.get(f"/dashboard/tasks/{task}").status_code == 404
    assert post(web, f"/dashboard/tasks/{task}/claim", {}).status_code == 404
    assert post(web, f"/dashboard/tasks/{task}/reassign", {"to": "wu.lei"}).status_code == 403  # leads only

    sign_in(web, keys["manager"])
    answer = post(web, f"/dashboard/tasks/{task}/claim", {"back": "/dashboard/work?scope=all"})
    assert answer.headers["location"] == "/dashboard/work?scope=all"
    assert (
        flash(web, answer)
        == f"error: Task {task} (claim) not done: task {task} is held by li.na: a lead may reassign it"
    )

    sign_in(web, keys["supervisor"])
    page = web.get(f"/dashboard/tasks/{task}").text
    assert re.search(r'<select name="to" required>\s*<option selected>li.na</option><option>wu.lei</option>', page), (
        page
    )
    assert flash(web, post(web, f"/dashboard/tasks/{task}/reassign", {"to": "wu.lei"})).startswith(
        f"ok: Task {task} reassigned to wu.lei"
    )
    assert "is not an active person who works collector tasks" in flash(
        web, post(web, f"/dashboard/tasks/{task}/reassign", {"to": "zhou.lawyer"})
    )
    assert flash(web, post(web, f"/dashboard/tasks/{task}/release", {})) == (
        f"ok: Task {task} released to the collector pool."
    )
    assert store.tasks("ACC-1")[0].assignee is None


def test_each_kind_of_task_draws_its_form(web: TestClient, keys: dict[str, str], store: Store, status_of: list) -> None:
    tasks = {
        "call-form": give(store),
        "visit-form": give(store, kind="visit", pool="field_collector", step="d068-create_visit_task"),
        "approval-form": give(store, kind="approval_request", pool="supervisor", step="approval-d090-lock-L0"),
        "dispute-form": give(store, kind="dispute_review", pool="supervisor", step="dispute-D-1-review"),
        "outcome-form": give(store, kind="manager_escalation", pool="collections_manager", step="d061-escalate"),
        "acknowledge-form": give(store, kind="overdue_task", pool="supervisor", step="work-d035-L1"),
        "firm-form": give(store, kind="lawyer_letter_draft", pool="legal", step="firm-draft-d091-issue_lawyer_letter"),
    }  # fmt: skip
    sign_in(web, keys["supervisor"])  # a lead opens any
    for form, task in tasks.items():
        page = web.get(f"/dashboard/tasks/{task}").text
        drawn = set(re.findall(r'<form class="card[^"]*" method="post" action="[^"]+" id="([a-z-]+)"', page))
        assert drawn == {form}, (form, drawn)
        assert ("Contact rules now" in page) == (form in ("call-form", "visit-form"))
    page = web.get(f"/dashboard/tasks/{tasks['approval-form']}").text
    assert 'name="decision" value="approve"' in page and "Your approval level: supervisor" in page


def test_the_day_counts_and_hours_are_shown_before_a_call(
    web: TestClient, keys: dict[str, str], store: Store, status_of: list
) -> None:
    now = datetime.now(UTC)
    status_of.extend(
        ContactRecord(record_id=f"c{n}", channel="call", result=result, at=now, by="li.na")
        for n, result in enumerate(["no_answer", "reached", "no_answer"])
    )
    task = give(store)
    sign_in(web, keys["collector"])
    page = web.get(f"/dashboard/tasks/{task}").text
    assert "calls today 3/10, conversations 1/5" in page
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    assert f"{local:%a %Y-%m-%d} " in page and "08:00-21:00" in page
    assert ("calls allowed now" in page) or ("next permitted" in page)


def test_the_rules_say_when_calls_are_next_permitted_and_when_the_day_is_full() -> None:
    policy = PolicyBook().for_segment("standard")
    state = open_account(policy, datetime(2026, 3, 11, 1, 0, tzinfo=UTC))  # Asia/Shanghai
    late = datetime(2026, 3, 11, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    rules = work.day_rules(account_status(state, late), policy, "call", late, "+8613800000000")
    assert rules is not None and not rules.allowed
    assert rules.opens == datetime(2026, 3, 12, 0, 0, tzinfo=UTC)  # 08:00 the next morning there
    state.contact_records.extend(
        ContactRecord(record_id=f"c{n}", channel="call", result="no_answer", at=late, by="li.na") for n in range(10)
    )
    full = work.day_rules(account_status(state, late), policy, "call", late)
    assert full is not None and full.attempts == 10 and full.full == "at most 10 calls a day"


def test_a_call_form_becomes_the_apis_completion() -> None:
    task = TaskView(id=1, account_id="ACC-1", kind="collector_call", step="d035", summary="", pool="collector",
                    assignee=None, team=None, priority=None, due_at=None, sla="on_time", state="open", outcome=None,
                    closed_by=None, closed_at=None, created_at=datetime.now(UTC))  # fmt: skip
    form = {"result": "promise", "promise_amount": "8000.00", "promise_currency": "CNY", "promise_date": "2026-12-01",
            "plan_currency": "CNY", "notes": "pays", "duration_minutes": "5", "command_id": "web-1"}  # fmt: skip
    assert work.completing(task, form) == {"contact": {
        "channel": "call", "result": "reached", "command_id": "web-1", "duration_minutes": "5", "notes": "pays",
        "promise": {"amount": "8000.00", "currency": "CNY", "promised_date": "2026-12-01"}}}  # fmt: skip
    plan = work.completing(task, {"result": "plan", "plan_currency": "CNY",
                                  "plan_installments": "4000.00 2026-12-01\n\n4000.00, 2027-01-01"})  # fmt: skip
    assert plan["contact"]["plan"]["installments"] == [{"amount": "4000.00", "due_date": "2026-12-01"},
                                                       {"amount": "4000.00", "due_date": "2027-01-01"}]  # fmt: skip
    back = work.completing(task, {"result": "callback", "callback_at": "2026-12-01T10:30", "timezone": "Asia/Shanghai"})
    assert back["contact"]["callback_at"] == "2026-12-01T10:30:00+08:00" and back["contact"]["result"] == "reached"
    assert work.completing(task, {"result": "no_answer"}) == {"contact": {"channel": "call", "result": "no_answer"}}


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"result": "plan", "plan_installments": "4000.00"}, "installment line 1: expected AMOUNT DATE"),
        ({"result": "plan", "plan_installments": "4000.00 soon"}, "&#39;soon&#39; is not a date"),
        ({"result": "callback", "callback_at": "tomorrow"}, "callback_at: not a date and time"),
        ({"result": "callback", "callback_at": "2026-12-01T10:00", "timezone": "Mars/Base"}, "unknown timezone"),
    ],
)
def test_a_form_that_cannot_be_read_is_a_message_and_nothing_is_sent(
    web: TestClient, keys: dict[str, str], store: Store, status_of: list, form: dict[str, str], message: str
) -> None:
    task = give(store)
    sign_in(web, keys["collector"])
    answer = post(web, f"/dashboard/tasks/{task}/complete", form)
    assert answer.headers["location"] == f"/dashboard/tasks/{task}"
    shown = flash(web, answer)
    assert shown.startswith(f"error: Task {task} (complete) not done: ") and message in shown
    assert shown.endswith("Nothing was sent.") and store.tasks("ACC-1")[0].state == "open"


def test_a_notice_is_acknowledged_and_leaves_the_queue(
    web: TestClient, keys: dict[str, str], store: Store, status_of: list
) -> None:
    task = give(store, kind="overdue_task", pool="supervisor", step="work-d035-L1")
    sign_in(web, keys["supervisor"])
    assert f'id="task-{task}"' in web.get("/dashboard/work").text
    assert flash(web, post(web, f"/dashboard/tasks/{task}/complete", {})) == f"ok: Task {task} done: acknowledged."
    assert f'id="task-{task}"' not in web.get("/dashboard/work").text
    assert f'id="task-{task}"' in web.get("/dashboard/work?state=done").text
    page = web.get(f"/dashboard/tasks/{task}").text
    assert "done: acknowledged by wang.fang" in page and 'action="/dashboard/tasks/' not in page


def test_ops_work_their_order_locks_without_reading_the_account(
    web: TestClient, keys: dict[str, str], store: Store
) -> None:
    """The status query is not stubbed: ops' pages never ask for the account (they do not read accounts)."""
    task = give(store, kind="order_lock", pool="sales_operations", step="d090-lock_new_orders")
    sign_in(web, keys["ops"])
    queue = web.get("/dashboard/work").text
    assert f'id="task-{task}"' in queue and 'href="/dashboard/accounts/' not in queue
    page = web.get(f"/dashboard/tasks/{task}")
    assert page.status_code == 200 and 'id="outcome-form"' in page.text
    assert "for the people who work accounts" in page.text and 'href="/dashboard/accounts/' not in page.text


def test_the_queue_is_paged_by_cursor(
    web: TestClient, keys: dict[str, str], store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(work, "PAGE_SIZE", 2)
    given = [give(store, priority=float(p), account=f"ACC-{p}") for p in (300, 200, 100)]
    sign_in(web, keys["collector"])
    first = web.get("/dashboard/work").text
    assert re.findall(r'<tr id="task-(\d+)"', first) == [str(given[0]), str(given[1])]
    following = re.search(r'<a href="(/dashboard/work\?[^"]+)">Next page', first)
    assert following, first
    second = web.get(following.group(1).replace("&amp;", "&")).text
    assert re.findall(r'<tr id="task-(\d+)"', second) == [str(given[2])] and "Next page" not in second
    assert web.get("/dashboard/work?cursor=AAAA").status_code == 422


def test_the_firm_form_becomes_the_law_firm_s_answer() -> None:
    """A lawyer's letter's draft ends with the firm's answer (confirm-lawyer-letter), never a bare outcome."""
    step = "firm-draft-d091-issue_lawyer_letter"
    row = Task(id=1, account_id="ACC-1", kind="lawyer_letter_draft", step=step, summary="", assignee_role="legal",
               state="open", created_at=datetime.now(UTC))  # fmt: skip
    form = {"answer": "issued", "lawyer": "王律师", "licence": "1310120001", "issued_on": "2026-12-07",
            "firm_reference": "", "reason": ""}  # fmt: skip
    done = completion(row, form)
    assert done.operation == "confirm-lawyer-letter" and done.fields == {
        "answer": "issued", "lawyer": "王律师", "licence": "1310120001", "issued_on": "2026-12-07",
        "firm_reference": None, "step": "d091-issue_lawyer_letter", "reason": None}  # fmt: skip
    with pytest.raises(ValueError, match="completed by the law firm's answer"):
        completion(row, {"outcome": "done"})
