"""The pages: the book, one account (and the people's work on it) and the command forms that act on it, the legal
inbox and its evidence packages.

The book and the accounts are for the staff who work them (collectors and leads) and for legal, who read them. A page
draws only the forms its viewer may use (each command's roles, from the operations table), and a command posted
anyway is refused by the same roles. Each form also carries a command id made when it was drawn, so submitting it
twice applies the command once (the workflow's own idempotency).
"""

import asyncio
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import ValidationError
from temporalio.client import Client

import book
from api.dashboard.signin import (
    PREFIX,
    TEMPLATE_DIR,
    Flash,
    InboxReader,
    Lawyer,
    PageError,
    PageRoute,
    Reader,
    Viewer,
    read_form,
    redirect_with,
    refusal,
    render,
    safe_next,
)
from api.dashboard.views import AgingChart, explain, localized, number, open_disputes
from api.errors import temporal_errors
from api.legal import evidence_package
from api.state import get_client, get_settings, get_store
from domain.bounds import EDGE
from domain.rerouting import CommandConflict
from domain.status import AccountStatus
from edge.client import new_command_id, query_status, send
from edge.identity import identity_fields
from edge.operations import OPERATIONS, Operation
from edge.work import may_see

router = APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)

STYLESHEET = (TEMPLATE_DIR / "dashboard.css").read_text(encoding="utf-8")


@router.get("/dashboard.css")
async def stylesheet() -> Response:
    """The pages' styles (no debtor data: a browser may keep them a few minutes)."""
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=300"})


# --- reading accounts ---


async def account_status(client: Client, account_id: str) -> AccountStatus:
    """The account's exact, current status (its `status` query); Temporal's errors become error pages."""
    with temporal_errors(account_id):
        return await query_status(client, account_id)


async def statuses(client: Client, account_ids: Iterable[str]) -> list[AccountStatus]:
    """Statuses of several accounts at once. One that cannot be read (closed a moment ago, no worker) is left
    out rather than failing the whole page."""
    found = await asyncio.gather(*(account_status(client, a) for a in account_ids), return_exceptions=True)
    return [status for status in found if isinstance(status, AccountStatus)]


def _book_filters(request: Request, cursor: str | None) -> book.Filters:
    """The deployment's book (its task queue), narrowed by the overview's filter form. Every value is checked
    against the book's bounds before Temporal is asked: a bad one is a 422 page that says why."""
    params = {name: value.strip() for name, value in request.query_params.items() if value.strip()}
    try:
        filters = book.Filters(
            stage=params.get("stage"),
            segment=params.get("segment"),
            min_outstanding=number(params, "min_outstanding", Decimal),
            min_days_past_due=number(params, "min_days_past_due", int),
            pending_approval=True if "pending_approval" in params else None,
            include_closed="include_closed" in params,
            stuck="stuck" in params,
            task_queue=get_settings(request).task_queue,
        )
        book.to_query(filters)
        book.decode_cursor(cursor, filters)
    except ValueError as error:
        raise PageError(422, f"Filter not applied: {error}.") from error
    return filters


async def _list(
    client: Client, filters: book.Filters, cursor: str | None = None
) -> tuple[list[book.AccountRow], str | None]:
    try:
        return await book.list_accounts(client, filters, cursor=cursor)
    except ValueError as error:  # a filter value or cursor that cannot be put in a visibility query
        raise PageError(422, str(error)) from error


# --- the book and one account ---


@router.get("")
async def overview(request: Request, viewer: Reader, cursor: str | None = None) -> Response:
    """The book: aging per currency (chart and per stage), one page of accounts, approvals waiting, open disputes.

    Lists come from visibility (a second or so behind); approvals and disputes from the listed accounts' status
    queries. Open disputes are those of accounts in the `disputed` stage (the whole balance contested) or among those
    awaiting approval: a partial dispute on another account shows on its own page only."""
    client = get_client(request)
    filters = _book_filters(request, cursor)
    queue = filters.task_queue
    report, (rows, next_cursor), (pending, _), (disputed, _), (stuck, _) = await asyncio.gather(
        book.aging(client, filters=book.Filters(task_queue=queue)),
        _list(client, filters, cursor),
        _list(client, book.Filters(pending_approval=True, task_queue=queue)),
        _list(client, book.Filters(stage="disputed", task_queue=queue)),
        _list(client, book.Filters(stuck=True, task_queue=queue)),
    )
    waiting, contested = await asyncio.gather(
        statuses(client, [row.account_id for row in pending]), statuses(client, [row.account_id for row in disputed])
    )
    params = {name: value for name, value in request.query_params.items() if name != "cursor"}
    return render(
        request,
        "overview.html",
        report=report,
        charts=AgingChart.of(report),
        rows=rows,
        params=params,
        next_page=f"{PREFIX}?{urlencode(params | {'cursor': next_cursor})}" if next_cursor else None,
        stuck=stuck,
        waiting=[status for status in waiting if status.pending_approvals],
        disputes=open_disputes([*waiting, *contested]),
    )


FORMS = {name: operation for name, operation in OPERATIONS.items() if operation.form}  # the commands with a form


@router.get("/accounts/{account_id}")
async def account(request: Request, account_id: str, viewer: Reader) -> Response:
    """One account as its status query tells it: timeline, money, arrangements, people's tasks and their calls and
    visits, and the forms the viewer may use. An open task the viewer may work links to its page (My work)."""
    status = await account_status(get_client(request), account_id)
    pending = {approval.step: approval for approval in status.pending_approvals}
    acts = any(viewer.may(name) for name in FORMS)
    rows = await asyncio.to_thread(get_store(request).tasks, account_id, "open")
    links = {row.step: row.id for row in rows if row.step and may_see(row, viewer.identity)}
    return render(request, "account.html", status=status, pending=pending, acts=acts, task_links=links)


@router.post("/accounts/{account_id}/{name}")
async def command(request: Request, account_id: str, name: str, viewer: Reader) -> Response:
    """Send one command and go back to the page the form was on, with the outcome as the flash message."""
    operation = FORMS.get(name)
    if operation is None:
        raise PageError(404, f"No such command: {name}.")
    if not viewer.may(name):
        raise PageError(403, refusal(name.capitalize(), operation.roles, viewer))
    form = await read_form(request)
    back = safe_next(form.get("back"), f"{PREFIX}/accounts/{account_id}")
    flash = await submit_form(
        get_client(request), account_id, f"{name} {form.get('step', '')}".strip(), operation, form, viewer
    )
    return redirect_with(request, back, flash)


async def submit_form(
    client: Client, account_id: str, what: str, operation: Operation, form: dict[str, str], viewer: Viewer
) -> Flash:
    """Validate the form into the command and execute the update. Every refusal (bad input, the workflow's
    validator, no worker) becomes a readable message, never an error page."""
    if operation.confirm and form.get("confirm") != "yes":
        return Flash("error", f"{what}: tick the box to confirm. Nothing was sent.")
    try:
        fields: dict[str, object] = {name: datetime.now(UTC) for name in operation.now_fields}  # blank: now, as the API
        fields |= localized(form) | {"command_id": form.get("command_id") or new_command_id("web")}
        fields |= identity_fields(operation.model, viewer.identity)  # never the form's: who signed in
        command = operation.model.model_validate(fields, context=EDGE)
    except ValidationError as error:
        return Flash("error", f"{what}: {explain(error)}. Nothing was sent.")
    except ValueError as error:
        return Flash("error", f"{what}: {error}. Nothing was sent.")
    try:
        with temporal_errors(account_id, command.command_id):
            await send(client, account_id, operation, command)
    except CommandConflict as conflict:
        return Flash("error", f"{what} not done: {conflict}")
    except HTTPException as error:  # the validator's reason, a closed account, no worker in time
        return Flash("error", f"{what} not done: {error.detail}")
    return Flash("ok", f"{what} accepted (id {command.command_id}).")


# --- the legal inbox ---


CASE_STATES = ("open", "accepted", "closed")


@router.get("/legal")
async def legal_inbox(request: Request, viewer: InboxReader, state: str | None = None) -> Response:
    """The cases handed to legal, oldest first, with their evidence packages."""
    if state not in (None, *CASE_STATES):
        raise PageError(400, f"Unknown case state {state!r}.")
    cases = await asyncio.to_thread(get_store(request).cases, state)
    histories = {case.case_id: json.loads(case.history) for case in cases if case.history}
    return render(request, "legal.html", cases=cases, histories=histories, state=state, states=CASE_STATES)


@router.get("/legal/cases/{case_id}/package.zip")
async def package(request: Request, case_id: str, viewer: Lawyer) -> Response:
    """The evidence package, built as the API's route builds it (a browser link cannot send the API key header)."""
    try:
        return await evidence_package(get_store(request), get_settings(request).legal_dir, case_id)
    except HTTPException as error:
        raise PageError(error.status_code, f"The package could not be fetched: {error.detail}") from error
