"""Working a task from the queue, for every edge (the API, the dashboard, the command line): what completing each
kind of task sends to the account's workflow, and how the store's task rows follow what the workflow says.

The workflow is the truth: a task row closes when the account's status says its work is done (a call or visit
recorded against it, `complete_task`), its approval decided, its dispute resolved. `sync` applies that after every
command any edge sends, so a task worked from the account page closes in the queue too. Notices (an overdue task
told up the chain, reminders, the handoff to legal) carry no work of their own: completing them only closes the row.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.status import AccountStatus
from store import queue
from store.models import Task
from store.repository import Store

APPROVAL_STEP = re.compile(r"^approval-(?P<key>.+)-L\d+(-reminder-\d+)?$")
DISPUTE_STEP = re.compile(r"^dispute-(?P<id>.+)-(review|reminder-\d+)$")
CONTACT_KINDS = ("collector_call", "visit", "skip_trace")  # worked by a call or a visit (record_contact)
NOTICES = ("overdue_task", "supervisor_reminder", "litigation", "claim_filing")  # nothing to send: acknowledged


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
    """Close the account's open task rows whose work the status says is done; returns how many."""
    now = now or datetime.now(UTC)
    done = {t.key: f"{t.outcome} (by {t.done_by})" for t in status.tasks if t.state == "done"}
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
    return closed
