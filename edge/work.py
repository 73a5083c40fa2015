"""Working a task from the queue, for every edge (the API, the dashboard, the command line): what completing each
kind of task sends to the account's workflow, and how the store's task rows follow what the workflow says.

The workflow is the truth: a task row closes when the account's status says its work is done (a call or visit
recorded against it, `complete_task`), its approval decided, its dispute resolved. `sync` applies that after every
command any edge sends, so a task worked from the account page closes in the queue too. Notices (an overdue task
told up the chain, reminders, the handoff to legal) carry no work of their own: completing them only closes the row.

`work` does the whole of completing a task (the API's `POST /v1/tasks/{id}/complete`, `collections task done`);
`TaskView` is a task as the edges show it, and `viewer`/`may_see` say whose queue it is in.
"""

import asyncio
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from temporalio.client import Client

from domain.bounds import EDGE, check_happened
from domain.commands import Command
from domain.people import LEADS, POOLS
from domain.status import AccountStatus
from edge.client import new_command_id, send
from edge.identity import ADMIN, ROLES, Identity, identity_fields
from edge.operations import OPERATIONS
from store import queue
from store.models import Task
from store.repository import Store

APPROVAL_STEP = re.compile(r"^approval-(?P<key>.+)-L\d+(-reminder-\d+)?$")
DISPUTE_STEP = re.compile(r"^dispute-(?P<id>.+)-(review|reminder-\d+)$")
CONTACT_KINDS = ("collector_call", "visit", "skip_trace")  # worked by a call or a visit (record_contact)
FIRM_ANSWER = ("answer", "lawyer", "licence", "issued_on", "firm_reference")  # a law firm's, to a lawyer's letter
NOTICES = ("overdue_task", "supervisor_reminder", "litigation", "claim_filing")  # nothing to send: acknowledged
WORKERS = tuple(role for role in ROLES if role != ADMIN)  # who works tasks: everybody but the admin
DUE_SOON = timedelta(hours=24)
SLA = Literal["on_time", "due_soon", "overdue", "closed"]


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
    sla: SLA
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


def sla(row: Task, now: datetime) -> SLA:
    if row.state != "open":
        return "closed"
    if row.due_at is None or row.due_at > now + DUE_SOON:
        return "on_time"
    return "overdue" if row.due_at <= now else "due_soon"


def viewer(who: Identity) -> queue.Viewer:
    """Whose queue `who` sees: theirs, and their role's pools in their team."""
    return queue.Viewer(who.username, POOLS.get(who.role, ()), who.team)


def may_see(row: Task, who: Identity) -> bool:
    """Whether `who` may see (and so work) the task: theirs, their pools' unheld ones, or (a lead) any."""
    mine = row.assignee == who.username or (row.assignee is None and row.assignee_role in POOLS.get(who.role, ()))
    return mine or who.role in LEADS


@dataclass(frozen=True)
class Completion:
    """What to send for a task: the operation's name (edge.operations) and the command's fields; None: only the
    task row closes (a notice)."""

    operation: str | None
    fields: dict[str, Any]


def completion(task: Task, form: dict[str, Any]) -> Completion:
    """The command that completes `task` with `form` (what the person entered). Raises ValueError for a form the
    task's kind cannot take."""
    step = task.step or ""
    if task.kind == "approval_request":
        key = APPROVAL_STEP.match(step)
        decision = form.get("decision")
        if key is None or decision not in ("approve", "reject"):
            raise ValueError("an approval task is completed by a decision: approve or reject, with a reason")
        return Completion(decision, {"step": key["key"], "reason": form.get("reason") or form.get("outcome")})
    if task.kind == "dispute_review" or (task.kind == "supervisor_reminder" and DISPUTE_STEP.match(step)):
        dispute = DISPUTE_STEP.match(step)
        if dispute is None or form.get("resolution") not in ("upheld", "rejected"):
            raise ValueError("a dispute review is completed by a resolution: upheld or rejected")
        fields = {"dispute_id": dispute["id"], "resolution": form["resolution"], "adjustment": form.get("adjustment"),
                  "note": form.get("note")}  # fmt: skip
        return Completion("resolve-dispute", fields)
    if task.kind == "lawyer_letter_draft":  # ends with the law firm's answer, never a bare "done"
        if form.get("answer") not in ("issued", "declined"):
            raise ValueError("a lawyer's letter draft is completed by the law firm's answer: issued (lawyer, licence, "
                             "issued_on) or declined (reason)")  # fmt: skip
        fields = {name: form.get(name) or None for name in FIRM_ANSWER}  # a blank field is no answer
        fields |= {"step": step.removeprefix("firm-draft-"), "reason": form.get("reason") or form.get("outcome")}
        return Completion("confirm-lawyer-letter", fields)
    if task.kind == "legal_case":  # the case moves by its steps; the task closes when the case moves on
        case_id = step.split(":", 1)[0]
        raise ValueError(
            f"a legal case's task is done by recording what happened in the case: legal.py step "
            f"{case_id} STEP, POST /v1/legal/cases/{case_id}/steps; it closes when the case moves on"
        )
    if form.get("contact"):
        if task.kind not in CONTACT_KINDS:
            raise ValueError(f"a {task.kind} task is not worked by a call or a visit")
        return Completion("record-contact", dict(form["contact"]) | {"task": step})
    if task.kind in NOTICES or step.startswith(("work-", "unapplied-")):
        return Completion(None, {})
    if not form.get("outcome"):
        raise ValueError("say what was done (outcome)")
    return Completion("complete-task", {"task": step, "outcome": form["outcome"], "note": form.get("note") or ""})


def sync(store: Store, status: AccountStatus, by: str, now: datetime | None = None) -> int:
    """Close the account's open task rows whose work the status says is done, and move the due time of those it says
    are due later (a callback the debtor asked for); returns how many rows closed."""
    now = now or datetime.now(UTC)
    done = {t.key: f"{t.outcome} (by {t.done_by})" for t in status.tasks if t.state == "done"}
    due = {t.key: t.due_at for t in status.tasks if t.state == "open"}
    decided = {a.step: f"{a.state} by {a.decided_by}" for a in status.approvals if a.state != "pending"}
    resolved = {d.dispute_id: f"dispute {d.state} by {d.resolved_by}" for d in status.disputes if d.state != "open"}
    closed = 0
    for row in store.tasks(status.account_id, state="open"):
        step = row.step or ""
        approval, dispute = APPROVAL_STEP.match(step), DISPUTE_STEP.match(step)
        outcome = (
            done.get(step)
            or (approval and decided.get(approval["key"]))
            or (dispute and resolved.get(dispute["id"]))
            or (status.outcome and f"account closed: {status.outcome}")
        )
        if outcome and row.id is not None:
            queue.close(store, row.id, by, outcome, now)
            closed += 1
        elif step in due and row.id is not None and row.due_at != due[step]:
            queue.reschedule(store, row.id, due[step], by, now)
    return closed


def task_command(model: type[Command], fields: dict[str, Any], who: Identity, command_id: str | None = None) -> Command:
    """The command completing a task, given by `who` (a call or visit made now unless the form says when), validated
    as the same command from the account page. Raises ValueError (a ValidationError among them)."""
    now = datetime.now(UTC)
    data = {"command_id": command_id or new_command_id("task")} | fields | identity_fields(model, who)
    if "at" in model.model_fields:  # when the call or visit was made: now, unless the form says
        data.setdefault("at", now)
    command = model.model_validate(data, context=EDGE)
    check_happened(command, now)
    return command


async def work(
    client: Client | None, store: Store, row: Task, form: dict[str, Any], who: Identity, command_id: str | None = None
) -> AccountStatus | None:
    """Complete `row` as `who`: send what its kind needs (`completion`), then close what the account's status says is
    done (`sync`); a notice only closes, and needs no `client`. Returns the status the update answered with (None: a
    notice).

    Raises ValueError for a form the task's kind cannot take or a command the edge refuses (a ValidationError among
    them; CommandConflict, a ValueError too, for a `command_id` used for another command), and what
    `edge.client.send` raises: WorkflowUpdateFailedError (the workflow's refusal: the day's call cap, a task already
    done), RPCError, TimeoutError (no worker answered: repeat with the same `command_id`, it applies once)."""
    done = completion(row, form)
    now = datetime.now(UTC)
    if done.operation is None:
        await asyncio.to_thread(queue.close, store, row.id or 0, who.by, form.get("outcome") or "acknowledged", now)
        return None
    if client is None:
        raise RuntimeError(f"completing a {row.kind} task sends {done.operation}: it needs a Temporal client")
    operation = OPERATIONS[done.operation]
    command = task_command(operation.model, done.fields, who, command_id)
    status = await send(client, row.account_id, operation, command)
    if status is not None:
        await asyncio.to_thread(sync, store, status, who.by, now)
    return status
