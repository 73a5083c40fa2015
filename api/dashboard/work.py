"""My work: the signed-in person's queue, and one task's page where it is claimed, released, reassigned (leads) and
completed.

Everything goes through the work queue API's own code (`api.tasks`): who sees which task, who may take it, what
completing each kind sends to the account's workflow (`edge.work.completion`) and how the task row follows. The pages
only turn forms into the API's bodies and its refusals (HTTPException, validation errors) into the next page's flash
message: a refused call (outside the debtor's hours, over the day's caps) is a message on the task's page, never an
error page. A call or visit form carries a command id made when it was drawn, so submitting it twice records it once.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal, cast
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlmodel import Session, col, select

from api import tasks
from api.dashboard import pages
from api.dashboard.signin import (
    PREFIX,
    Flash,
    PageError,
    PageRoute,
    Worker,
    read_form,
    redirect_with,
    refusal,
    render,
    safe_next,
)
from api.dashboard.views import explain, explain_errors, local_instant
from api.state import get_client, get_policies, get_store
from domain.bounds import phone_country
from domain.commands import CONVERSATION
from domain.contact_rules import Caps, ContactRules
from domain.contact_window import country_of, next_permitted
from domain.people import LEADS, POOLS
from domain.policy import Policy
from domain.policy_book import PolicyBook
from domain.status import AccountStatus
from edge.work import APPROVAL_STEP, CONTACT_KINDS, DISPUTE_STEP, FIRM_ANSWER, NOTICES, TaskView
from store.models import Account
from store.repository import Store

router = APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)

Scope = Literal["mine", "team", "all"]
SCOPES: tuple[Scope, ...] = ("mine", "team", "all")
STATES = ("open", "done", "cancelled")
PAGE_SIZE = 50
Shape = Literal["call", "visit", "approval", "dispute", "firm", "outcome", "notice"]

# A call's outcomes as the form offers them, and the result each records (an agreement needs the debtor reached).
CALL_OUTCOMES = {
    "reached": "reached", "no_answer": "no_answer", "wrong_number": "wrong_number", "refused": "refused",
    "promise": "reached", "plan": "reached", "dispute": "reached", "callback": "reached",
}  # fmt: skip


# --- the queue ---


@dataclass(frozen=True)
class Row:
    """One task of the list, with the debtor's timezone (its due time is shown in the debtor's time)."""

    task: TaskView
    zone: str | None


@router.get("/work")
async def my_work(
    request: Request,
    viewer: Worker,
    scope: str = "mine",
    state: str = "open",
    overdue: str | None = None,
    cursor: str | None = None,
) -> Response:
    """The viewer's queue, most valuable first (the store's order): what they hold and the unheld tasks of their
    pools; leads also see their team's and everybody's."""
    if scope not in SCOPES or state not in STATES:
        raise PageError(400, f"Unknown queue {scope!r} or state {state!r}.")
    store = get_store(request)
    page = await tasks.list_tasks(
        viewer.identity, store, scope=cast(Scope, scope), kind=None, state=cast(Any, state), overdue=bool(overdue),
        account_id=None, cursor=cursor, limit=PAGE_SIZE,
    )  # fmt: skip
    zones = await asyncio.to_thread(zones_of, store, {t.account_id for t in page.tasks})
    params = {"scope": scope, "state": state} | ({"overdue": "yes"} if overdue else {})
    here = f"{PREFIX}/work?{urlencode(params | ({'cursor': cursor} if cursor else {}))}"
    return render(
        request,
        "work.html",
        rows=[Row(task, zones.get(task.account_id)) for task in page.tasks],
        scope=scope,
        state=state,
        overdue=bool(overdue),
        scopes=SCOPES if viewer.leads else ("mine",),
        states=STATES,
        here=here,
        next_page=f"{PREFIX}/work?{urlencode(params | {'cursor': page.next_cursor})}" if page.next_cursor else None,
    )


def zones_of(store: Store, account_ids: set[str]) -> dict[str, str]:
    """The debtors' timezones of these accounts, as the store recorded them (one query for a page)."""
    if not account_ids:
        return {}
    with Session(store.engine) as session:
        statement = select(Account.account_id, Account.timezone).where(col(Account.account_id).in_(account_ids))
        return {account_id: zone for account_id, zone in session.exec(statement).all()}


# --- one task ---


@dataclass(frozen=True)
class DayRules:
    """The contact rules a call or visit is held to now, as the status shows them: the debtor's day's counts against
    the policy's caps, and whether the channel's hours allow it (the workflow checks again when it is recorded)."""

    channel: str  # call | visit
    local_now: datetime
    zone: str
    attempts: int
    conversations: int
    caps: Caps
    window: str
    opens: datetime | None  # the next permitted moment when not now
    full: str | None  # the cap the day has reached, if so

    @property
    def allowed(self) -> bool:
        return self.opens is None and self.full is None


def day_rules(
    status: AccountStatus, policy: Policy | None, channel: str, now: datetime, phone: str | None = None
) -> DayRules | None:
    """Today's counts in the debtor's timezone (their calls or visits whose time falls on today's local date) and
    what the policy's window says about now. Without a known policy, the default rules (seed 002)."""
    if not status.timezone:
        return None
    zone = ZoneInfo(status.timezone)
    rules = policy.contact if policy is not None else ContactRules()
    today = now.astimezone(zone).date()
    same = [c for c in status.contacts if c.channel == channel and c.at.astimezone(zone).date() == today]
    attempts, conversations = len(same), sum(c.result in CONVERSATION for c in same)
    caps = rules.caps.get(channel) or Caps()
    window = rules.windows.get(channel)
    opens = None
    if window is not None and (policy is None or policy.day_seconds is None):  # compressed days: no hours (tests)
        try:
            at = next_permitted(now, window, zone, country_of(status.timezone, phone_country(phone)))
        except ValueError:
            at = now
        opens = at if at != now else None
    full = None
    if caps.per_day is not None and attempts >= caps.per_day:
        full = f"at most {caps.per_day} {channel}s a day"
    elif caps.conversations_per_day is not None and conversations >= caps.conversations_per_day:
        full = f"at most {caps.conversations_per_day} conversations a day"
    return DayRules(channel, now.astimezone(zone), status.timezone, attempts, conversations, caps,
                    window.describe() if window else "any time", opens, full)  # fmt: skip


def policy_of(book: PolicyBook, label: str) -> Policy | None:
    """The policy the status names (`standard v1`), from the app's policies; None when the folder has none so
    called."""
    try:
        return book.by_name(label.rsplit(" v", 1)[0])
    except ValueError:
        return None


def shape_of(task: TaskView) -> Shape:
    """Which completion form the task takes (as `edge.work.completion` reads what is posted)."""
    step = task.step or ""
    if task.kind == "approval_request":
        return "approval"
    if task.kind == "dispute_review" or (task.kind == "supervisor_reminder" and DISPUTE_STEP.match(step)):
        return "dispute"
    if task.kind == "visit":
        return "visit"
    if task.kind in CONTACT_KINDS:
        return "call"
    if task.kind in NOTICES or step.startswith(("work-", "unapplied-")):
        return "notice"
    return "firm" if task.kind == "lawyer_letter_draft" else "outcome"


@router.get("/tasks/{task_id}")
async def task_page(request: Request, task_id: str, viewer: Worker) -> Response:
    """One task: its instructions, the account's summary, the contact rules of a call or visit, and the forms."""
    store, now = get_store(request), datetime.now(UTC)
    task = await tasks.show(_number(task_id), viewer.identity, store)
    status, unavailable = None, None
    try:  # the account as those who read accounts see it (not ops: their order locks say what they need)
        status = await pages.account_status(get_client(request), task.account_id) if viewer.reads_book else None
    except HTTPException as error:  # closed, no worker: the task still shows
        unavailable = str(error.detail)
    account = await asyncio.to_thread(store.account, task.account_id)
    zone = status.timezone if status else account.timezone if account else None
    shape = shape_of(task)
    rules = None
    if status is not None and shape in ("call", "visit") and task.state == "open":
        policy = policy_of(get_policies(request), status.policy)
        phone = account.phone if account else None
        rules = day_rules(status, policy, "visit" if shape == "visit" else "call", now, phone)
    me = viewer.identity.username
    people = await asyncio.to_thread(_people_for, store, task.pool) if viewer.leads and task.state == "open" else []
    step = task.step or ""
    approval, dispute = APPROVAL_STEP.match(step), DISPUTE_STEP.match(step)
    pending, disputes = (status.pending_approvals, status.disputes) if status else ([], [])
    return render(
        request,
        "task.html",
        task=task,
        status=status,
        unavailable=unavailable,
        zone=zone,
        shape=shape,
        rules=rules,
        people=people,
        local_now=now.astimezone(ZoneInfo(zone or "UTC")),
        works=task.state == "open" and (task.assignee in (None, me) or viewer.leads),
        releases=task.state == "open" and task.assignee is not None and (task.assignee == me or viewer.leads),
        pending=next((a for a in pending if approval and a.step == approval["key"]), None),
        dispute=next((d for d in disputes if dispute and d.dispute_id == dispute["id"]), None),
        contacts=list(reversed(status.contacts[-10:])) if status else [],
        open_tasks=[t for t in status.tasks if t.state == "open"] if status else [],
    )


def _people_for(store: Store, pool: str) -> list[str]:
    """Who a lead may give a task of `pool` to: active people whose role works that pool."""
    return [p.username for p in store.list_staff() if p.active and pool in POOLS.get(p.role, ())]


def _number(task_id: str) -> int:
    if not task_id.isdigit() or len(task_id) > 18:
        raise PageError(404, f"No task {task_id[:40]!r}.")
    return int(task_id)


# --- acting on a task ---


VERBS = ("claim", "release", "reassign", "complete")


@router.post("/tasks/{task_id}/{verb}")
async def act(request: Request, task_id: str, verb: str, viewer: Worker) -> Response:
    """Claim, release, reassign (leads) or complete the task, through the API's code; back to the page the form was
    on, with the outcome as the flash message."""
    if verb not in VERBS:
        raise PageError(404, f"No such thing to do with a task: {verb[:40]}.")
    if verb == "reassign" and not viewer.leads:
        raise PageError(403, refusal("Reassigning a task", LEADS, viewer))
    number = _number(task_id)
    store, who = get_store(request), viewer.identity
    form = await read_form(request)
    back = safe_next(form.get("back"), f"{PREFIX}/tasks/{number}")
    task = await tasks.show(number, who, store)  # 404 page when the viewer may not see it
    try:
        if verb == "claim":
            done = await tasks.claim(number, who, store)
            flash = Flash("ok", f"Task {number} is yours: claimed.")
        elif verb == "release":
            done = await tasks.release(number, who, store)
            flash = Flash("ok", f"Task {number} released to the {done.pool} pool.")
        elif verb == "reassign":
            done = await tasks.reassign(number, tasks.Reassignment(to=form.get("to", "")), who, store)
            flash = Flash("ok", f"Task {number} reassigned to {done.assignee}.")
        else:
            body = tasks.Completing.model_validate(completing(task, form))
            done = await tasks.complete(number, body, who, store, get_client(request))
            flash = Flash("ok", _completed(done, form))
    except HTTPException as error:  # the API's refusal: held by somebody else, the workflow's reason, no worker
        flash = Flash("error", f"Task {number} ({verb}) not done: {error.detail}")
    except RequestValidationError as error:  # the command the form made is not a valid one
        flash = Flash("error", f"Task {number} ({verb}) not done: {explain_errors(error.errors())}. Nothing was sent.")
    except ValidationError as error:
        flash = Flash("error", f"Task {number} ({verb}) not done: {explain(error)}. Nothing was sent.")
    except ValueError as error:
        flash = Flash("error", f"Task {number} ({verb}) not done: {error}. Nothing was sent.")
    return redirect_with(request, back, flash)


def _completed(task: TaskView, form: dict[str, str]) -> str:
    if task.state == "open":  # a callback: the account's task now waits for the time the debtor asked for
        when = f" ({form['callback_at']} {form.get('timezone', 'UTC')})" if "callback_at" in form else ""
        return f"Task {task.id} recorded; it stays open for the callback the debtor asked for{when}."
    return f"Task {task.id} {task.state}: {task.outcome}."


def completing(task: TaskView, form: dict[str, str]) -> dict[str, Any]:
    """The API's completion body (`api.tasks.Completing`) from the task page's form. Raises ValueError for a field
    that cannot be read (a plan's line, a callback time)."""
    fields = ("outcome", "note", "decision", "reason", "resolution", "adjustment", *FIRM_ANSWER)
    body: dict[str, Any] = {name: form[name] for name in fields if name in form}
    if "result" in form:
        body["contact"] = contact(task, form)
    return body


def contact(task: TaskView, form: dict[str, str]) -> dict[str, Any]:
    """A call or visit (`record_contact`'s fields, less who and the task, which the API adds): the result chosen,
    what was agreed in it, the notes and evidence. Absent fields are left out (the command's defaults apply)."""
    channel = "visit" if task.kind == "visit" else "call"
    said = form["result"]
    fields: dict[str, Any] = {
        "channel": channel,
        "result": CALL_OUTCOMES.get(said, said) if channel == "call" else said,
        "command_id": form.get("command_id"),
        "duration_minutes": form.get("duration_minutes"),
        "notes": form.get("notes"),
        "agreed": form.get("agreed"),
        "evidence_ref": form.get("evidence_ref"),
    }
    if said == "promise" or (channel == "visit" and "promise_date" in form):
        fields["promise"] = _present(
            {"amount": form.get("promise_amount"), "currency": form.get("promise_currency"),
             "promised_date": form.get("promise_date")}
        )  # fmt: skip
    elif said == "plan":
        lines = form.get("plan_installments", "")
        fields["plan"] = _present({"currency": form.get("plan_currency"), "installments": installments(lines)})
    elif said == "dispute":
        fields["dispute"] = _present({"reason": form.get("dispute_reason")})
    elif said == "callback":
        if "callback_at" not in form:
            raise ValueError("callback_at: say when the debtor asked to be called back")
        fields["callback_at"] = local_instant(form["callback_at"], form.get("timezone", "UTC"), "callback_at")
    return _present(fields)


def installments(text: str) -> list[dict[str, str]]:
    """A plan's installments, one a line: `AMOUNT DATE` (4000.00 2026-12-01)."""
    terms = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.replace(",", " ").split()
        if len(parts) != 2:
            raise ValueError(f"installment line {number}: expected AMOUNT DATE, such as 4000.00 2026-12-01")
        amount, day = parts
        try:
            date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"installment line {number}: {day[:20]!r} is not a date (YYYY-MM-DD)") from None
        terms.append({"amount": amount, "due_date": day})
    if not terms:
        raise ValueError("plan: give its installments, one a line: AMOUNT DATE")
    return terms


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}
