"""`/v1/tasks`: the work queue. People list their tasks (most valuable first), claim, release and complete them; leads
see their team's and everybody's, and reassign.

Completing a task sends what its kind needs to the account's workflow (`edge.work.completion`: a call or visit
recorded against it, a decision, a resolution, `complete_task`), validated there as the same command from the
account page would be; the row closes when the account's status says the work is done (`edge.work.sync`). A notice
(an overdue task told up the chain, a reminder) only closes.

Who may do what: anyone who works tasks sees `mine` (what they hold, and the unheld tasks of their role's pools in
their team) and claims from their pools; a task held by somebody else is theirs until a lead reassigns or releases
it (409 otherwise); `team` and `all`, and reassigning, are for leads.
"""

import asyncio
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from temporalio.client import Client

from api.auth import ADMIN, LEADS, ROLES, Identity, require
from api.errors import temporal_errors
from api.state import SystemOfRecord, TemporalClient
from domain.bounds import EDGE, check_happened
from domain.commands import Command
from domain.people import POOLS
from domain.rerouting import CommandConflict
from edge.client import new_command_id, send
from edge.identity import identity_fields
from edge.operations import OPERATIONS
from edge.work import completion, sync
from store import queue
from store.models import Task
from store.repository import Conflict, NotFound, Store

router = APIRouter(prefix="/v1/tasks", tags=["work queue"])
WORKERS = tuple(role for role in ROLES if role != ADMIN)
Worker = Annotated[Identity, Depends(require(*WORKERS))]
Lead = Annotated[Identity, Depends(require(*LEADS))]
DUE_SOON = timedelta(hours=24)


class TaskView(BaseModel):
    id: int
    account_id: str
    kind: str
    step: str | None
    summary: str
    pool: str = Field(description="the role whose pool it is in")
    assignee: str | None = Field(description="who holds it (none: its pool's)")
    team: str | None
    priority: float | None = Field(description="higher first: outstanding × (1 + days past due / 30) × (1 + broken)")
    due_at: datetime | None
    sla: Literal["on_time", "due_soon", "overdue", "closed"]
    state: str
    outcome: str | None
    closed_by: str | None
    closed_at: datetime | None
    created_at: datetime
    body: str | None = None

    @classmethod
    def of(cls, row: Task, now: datetime, body: bool = False) -> "TaskView":
        return cls(
            id=row.id or 0, account_id=row.account_id, kind=row.kind, step=row.step, summary=row.summary,
            pool=row.assignee_role, assignee=row.assignee, team=row.team, priority=row.priority, due_at=row.due_at,
            sla=sla(row, now), state=row.state, outcome=row.outcome, closed_by=row.closed_by, closed_at=row.closed_at,
            created_at=row.created_at, body=row.body if body else None,
        )  # fmt: skip


def sla(row: Task, now: datetime) -> Literal["on_time", "due_soon", "overdue", "closed"]:
    if row.state != "open":
        return "closed"
    if row.due_at is None or row.due_at > now + DUE_SOON:
        return "on_time"
    return "overdue" if row.due_at <= now else "due_soon"


class TaskPage(BaseModel):
    tasks: list[TaskView]
    next_cursor: str | None


class Reassignment(BaseModel):
    to: str = Field(description="the username who takes it")


class Completing(BaseModel):
    """What was done. A call or visit: `contact` (record_contact's fields, `task` and who aside); an approval:
    `decision` and `reason`; a dispute review: `resolution` (and `adjustment`, `note`); other tasks: `outcome`."""

    outcome: str | None = None
    note: str | None = None
    decision: Literal["approve", "reject"] | None = None
    reason: str | None = None
    resolution: Literal["upheld", "rejected"] | None = None
    adjustment: str | None = None
    contact: dict[str, Any] | None = None


def viewer(who: Identity) -> queue.Viewer:
    return queue.Viewer(who.username, POOLS.get(who.role, ()), who.team)


@router.get("", response_model=TaskPage, summary="the caller's work queue, most valuable first")
async def list_tasks(
    who: Worker,
    store: SystemOfRecord,
    scope: Literal["mine", "team", "all"] = "mine",
    kind: str | None = None,
    state: Literal["open", "done", "cancelled"] = "open",
    overdue: bool = False,
    account_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=queue.MAX_PAGE)] = 50,
) -> TaskPage:
    if scope != "mine" and who.role not in LEADS:
        raise HTTPException(HTTPStatus.FORBIDDEN, detail=f"the {scope} queue is for leads ({', '.join(LEADS)})")
    now = datetime.now(UTC)
    query = queue.TaskQuery(scope, kind, state, now if overdue else None, account_id)
    try:
        rows, next_cursor = await asyncio.to_thread(queue.list_tasks, store, viewer(who), query, cursor, limit)
    except ValueError as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    return TaskPage(tasks=[TaskView.of(row, now) for row in rows], next_cursor=next_cursor)


@router.get("/{task_id}", response_model=TaskView, summary="one task, with its instructions")
async def show(task_id: int, who: Worker, store: SystemOfRecord) -> TaskView:
    return TaskView.of(await _visible(store, task_id, who), datetime.now(UTC), body=True)


@router.post("/{task_id}/claim", response_model=TaskView, summary="take a task from your pool")
async def claim(task_id: int, who: Worker, store: SystemOfRecord) -> TaskView:
    await _visible(store, task_id, who)
    return await _change(queue.claim, store, task_id, who.username, datetime.now(UTC))


@router.post("/{task_id}/release", response_model=TaskView, summary="give a task back to its pool")
async def release(task_id: int, who: Worker, store: SystemOfRecord) -> TaskView:
    await _visible(store, task_id, who)
    return await _change(queue.release, store, task_id, who.username, datetime.now(UTC), who.role in LEADS)


@router.post("/{task_id}/reassign", response_model=TaskView, summary="a lead gives a task to somebody")
async def reassign(task_id: int, body: Reassignment, who: Lead, store: SystemOfRecord) -> TaskView:
    row = await _task(store, task_id)
    person = await asyncio.to_thread(store.staff, body.to)
    if person is None or not person.active or row.assignee_role not in POOLS.get(person.role, ()):
        detail = f"{body.to} is not an active person who works {row.assignee_role} tasks"
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=detail)
    return await _change(queue.reassign, store, task_id, body.to, who.by, datetime.now(UTC))


@router.post("/{task_id}/complete", response_model=TaskView, summary="record what was done; the account follows")
async def complete(
    task_id: int, body: Completing, who: Worker, store: SystemOfRecord, client: TemporalClient
) -> TaskView:
    row = await _visible(store, task_id, who)
    if row.assignee not in (None, who.username) and who.role not in LEADS:
        raise HTTPException(HTTPStatus.CONFLICT, detail=f"task {task_id} is held by {row.assignee}")
    await work(client, store, row, body.model_dump(exclude_none=True), who)
    return TaskView.of(await _task(store, task_id), datetime.now(UTC))


async def work(client: Client, store: Store, row: Task, form: dict[str, Any], who: Identity) -> None:
    """Complete `row` as `who`: send what its kind needs, then close what the account's status says is done."""
    try:
        done = completion(row, form)
    except ValueError as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    now = datetime.now(UTC)
    if done.operation is None:
        await asyncio.to_thread(queue.close, store, row.id or 0, who.by, form.get("outcome") or "acknowledged", now)
        return
    operation = OPERATIONS[done.operation]
    command = _command(operation.model, done.fields, who)
    with temporal_errors(row.account_id, command.command_id):
        try:
            status = await send(client, row.account_id, operation, command)
        except CommandConflict as conflict:
            raise HTTPException(HTTPStatus.CONFLICT, detail=str(conflict)) from None
    if status is not None:
        await asyncio.to_thread(sync, store, status, who.by, now)


def _command(model: type[Command], fields: dict[str, Any], who: Identity) -> Command:
    data = {"command_id": new_command_id("task")} | fields | identity_fields(model, who)
    if "at" in model.model_fields:  # when the call or visit was made: now, unless the form says
        data.setdefault("at", datetime.now(UTC))
    try:
        command = model.model_validate(data, context=EDGE)
        check_happened(command, datetime.now(UTC))
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_url=False)) from None
    except ValueError as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    return command


async def _task(store: Store, task_id: int) -> Task:
    try:
        return await asyncio.to_thread(queue.task, store, task_id)
    except NotFound as error:
        raise HTTPException(HTTPStatus.NOT_FOUND, detail=str(error)) from None


async def _visible(store: Store, task_id: int, who: Identity) -> Task:
    """The task, if `who` may see it: theirs, their pools', or (a lead) any. Others get 404, as for no task."""
    row = await _task(store, task_id)
    mine = row.assignee == who.username or (row.assignee is None and row.assignee_role in POOLS.get(who.role, ()))
    if not (mine or who.role in LEADS):
        raise HTTPException(HTTPStatus.NOT_FOUND, detail=f"no task {task_id}")
    return row


async def _change(verb: Any, store: Store, task_id: int, *args: object) -> TaskView:
    try:
        row = await asyncio.to_thread(verb, store, task_id, *args)
    except Conflict as error:
        raise HTTPException(HTTPStatus.CONFLICT, detail=str(error)) from None
    except NotFound as error:
        raise HTTPException(HTTPStatus.NOT_FOUND, detail=str(error)) from None
    return TaskView.of(row, datetime.now(UTC))
