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
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from api.auth import LEADS, Identity, require
from api.errors import temporal_errors
from api.state import SystemOfRecord, TemporalClient
from domain.people import POOLS
from domain.rerouting import CommandConflict
from edge.client import new_command_id
from edge.work import WORKERS, TaskView, may_see, viewer, work
from store import queue
from store.models import Task
from store.repository import Conflict, NotFound, Store

router = APIRouter(prefix="/v1/tasks", tags=["work queue"])
Worker = Annotated[Identity, Depends(require(*WORKERS))]
Lead = Annotated[Identity, Depends(require(*LEADS))]


class TaskPage(BaseModel):
    tasks: list[TaskView]
    next_cursor: str | None


class Reassignment(BaseModel):
    to: str = Field(description="the username who takes it")


class Completing(BaseModel):
    """What was done. A call or visit: `contact` (record_contact's fields, `task` and who aside); an approval:
    `decision` and `reason`; a dispute review: `resolution` (and `adjustment`, `note`); a lawyer's letter's draft: the
    firm's `answer`; other tasks: `outcome`."""

    outcome: str | None = None
    note: str | None = None
    decision: Literal["approve", "reject"] | None = None
    reason: str | None = None
    resolution: Literal["upheld", "rejected"] | None = None
    adjustment: str | None = None
    contact: dict[str, Any] | None = None
    # A lawyer's letter drafted for the law firm: its answer (confirm_lawyer_letter's fields; `reason` to decline).
    answer: Literal["issued", "declined"] | None = None
    lawyer: str | None = None
    licence: str | None = None
    issued_on: str | None = None
    firm_reference: str | None = None


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
    command_id = new_command_id("task")
    with temporal_errors(row.account_id, command_id):
        try:
            await work(client, store, row, body.model_dump(exclude_none=True), who, command_id)
        except CommandConflict as conflict:
            raise HTTPException(HTTPStatus.CONFLICT, detail=str(conflict)) from None
        except ValidationError as error:
            raise RequestValidationError(error.errors(include_url=False)) from None
        except ValueError as error:  # a form the task's kind cannot take, a time ahead
            raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    return TaskView.of(await _task(store, task_id), datetime.now(UTC))


async def _task(store: Store, task_id: int) -> Task:
    try:
        return await asyncio.to_thread(queue.task, store, task_id)
    except NotFound as error:
        raise HTTPException(HTTPStatus.NOT_FOUND, detail=str(error)) from None


async def _visible(store: Store, task_id: int, who: Identity) -> Task:
    """The task, if `who` may see it: theirs, their pools', or (a lead) any. Others get 404, as for no task."""
    row = await _task(store, task_id)
    if not may_see(row, who):
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
