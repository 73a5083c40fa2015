"""The work queue: people's tasks as the store holds them, listed most valuable first, claimed, released,
reassigned and closed. Every change of hands is also a row of the append-only contact log (the audit).

A task is given to a role's pool (`assignee_role`, and a team when the account has one) and held by one person
(`assignee`) once assigned, claimed or reassigned. Who sees what (`Scope`): a person sees the tasks they hold and
the unheld tasks of their pools in their team; a lead sees their team's; `all` is everybody's."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from store.models import ContactLog, Task
from store.repository import Conflict, NotFound, Store

Scope = Literal["mine", "team", "all"]
MAX_PAGE = 200


@dataclass(frozen=True)
class Viewer:
    """Whose queue: their username, the task pools of their role (domain.people.POOLS) and their team."""

    username: str
    pools: tuple[str, ...]
    team: str | None


@dataclass(frozen=True)
class TaskQuery:
    scope: Scope = "mine"
    kind: str | None = None
    state: str = "open"
    due_before: datetime | None = None  # overdue: due before now
    account_id: str | None = None


def list_tasks(
    store: Store, viewer: Viewer, query: TaskQuery, cursor: str | None = None, limit: int = 50
) -> tuple[list[Task], str | None]:
    """One page of tasks, highest priority first (then the oldest); the cursor of the next page, if any."""
    priority = func.coalesce(col(Task.priority), 0.0)
    statement = select(Task).where(Task.state == query.state, *_scope(viewer, query.scope))
    if query.kind:
        statement = statement.where(Task.kind == query.kind)
    if query.account_id:
        statement = statement.where(Task.account_id == query.account_id)
    if query.due_before:
        statement = statement.where(col(Task.due_at) < query.due_before)
    if cursor:
        after_priority, after_id = decode_cursor(cursor)
        statement = statement.where(
            or_(priority < after_priority, and_(priority == after_priority, col(Task.id) > after_id))
        )
    limit = max(1, min(limit, MAX_PAGE))
    with Session(store.engine, expire_on_commit=False) as session:
        rows = list(session.exec(statement.order_by(priority.desc(), col(Task.id)).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more else None


def _scope(viewer: Viewer, scope: Scope) -> Sequence[ColumnElement[bool]]:
    if scope == "all":
        return ()
    if scope == "team":
        return (col(Task.team) == viewer.team,) if viewer.team else (col(Task.assignee) == viewer.username,)
    pool = and_(col(Task.assignee).is_(None), col(Task.assignee_role).in_(viewer.pools))
    if viewer.team:
        pool = and_(pool, or_(col(Task.team).is_(None), col(Task.team) == viewer.team))
    return (or_(col(Task.assignee) == viewer.username, pool),)


def encode_cursor(row: Task) -> str:
    return base64.urlsafe_b64encode(json.dumps([row.priority or 0.0, row.id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[float, int]:
    try:
        priority, task_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return float(priority), int(task_id)
    except (binascii.Error, UnicodeError, ValueError, TypeError) as error:
        raise ValueError("cursor: not one this server gave") from error


def task(store: Store, task_id: int) -> Task:
    with Session(store.engine, expire_on_commit=False) as session:
        found = session.exec(select(Task).where(Task.id == task_id)).first()
    if found is None:
        raise NotFound(f"no task {task_id}")
    return found


def claim(store: Store, task_id: int, username: str, at: datetime) -> Task:
    """Take an unheld open task (taking it again is a no-op); one held by somebody else is a Conflict."""

    def take(row: Task) -> None:
        _open(row)
        if row.assignee not in (None, username):
            raise Conflict(f"task {task_id} is held by {row.assignee}: a lead may reassign it")
        if row.assignee is None:
            row.assignee, row.claimed_at = username, at

    return _hand(store, task_id, take, at, username, "claimed")


def release(store: Store, task_id: int, username: str, at: datetime, lead: bool = False) -> Task:
    """Give a task back to its pool: its holder may, and so may a lead."""

    def give_back(row: Task) -> None:
        _open(row)
        if row.assignee != username and not lead:
            raise Conflict(f"task {task_id} is held by {row.assignee or 'nobody'}, not {username}")
        row.assignee, row.claimed_at = None, None

    return _hand(store, task_id, give_back, at, username, "released")


def reassign(store: Store, task_id: int, to: str, by: str, at: datetime) -> Task:
    """A lead gives the task to `to` (the caller checks `to` may work it)."""

    def hand_over(row: Task) -> None:
        _open(row)
        row.assignee, row.claimed_at = to, at

    return _hand(store, task_id, hand_over, at, by, f"reassigned to {to}")


def reschedule(store: Store, task_id: int, due_at: datetime, by: str, at: datetime) -> Task:
    """The task is due at another time (the debtor asked to be called back then)."""

    def move(row: Task) -> None:
        _open(row)
        row.due_at = due_at

    return _hand(store, task_id, move, at, by, f"rescheduled to {due_at.isoformat()}")


def close(store: Store, task_id: int, by: str, outcome: str, at: datetime, state: str = "done") -> Task:
    """The task is done (or cancelled); closing it again keeps the first outcome."""

    def finish(row: Task) -> None:
        if row.state == "open":
            row.state, row.closed_by, row.closed_at, row.outcome = state, by, at, outcome[:4000]

    return _hand(store, task_id, finish, at, by, f"{state}: {outcome[:200]}")


def close_step(
    store: Store, account_id: str, step: str, by: str, outcome: str, at: datetime, state: str = "done"
) -> int:
    """Close the open tasks a step gave on an account (the workflow says it is done); returns how many."""
    with Session(store.engine, expire_on_commit=False) as session:
        statement = select(Task).where(Task.account_id == account_id, Task.step == step, Task.state == "open")
        rows = list(session.exec(statement).all())
    for row in rows:
        assert row.id is not None
        close(store, row.id, by, outcome, at, state)
    return len(rows)


def _open(row: Task) -> None:
    if row.state != "open":
        raise Conflict(f"task {row.id} is already {row.state}" + (f" ({row.outcome})" if row.outcome else ""))


def _hand(store: Store, task_id: int, change: Callable[[Task], None], at: datetime, by: str, what: str) -> Task:
    """Apply `change` under the row's lock, with its audit row in the same transaction; `change` raising leaves both
    untouched."""
    with Session(store.engine, expire_on_commit=False) as session, session.begin():
        row = session.exec(select(Task).where(Task.id == task_id).with_for_update()).first()
        if row is None:
            raise NotFound(f"no task {task_id}")
        change(row)
        session.add(ContactLog(account_id=row.account_id, at_utc=at, at_local=at.isoformat(), channel="work",
                               action="task", step=row.step, result=what.split(":")[0].split(" ")[0],
                               detail=f"task {task_id} ({row.kind}) {what}", by=by))  # fmt: skip
    return row
