"""What the workflows hand their activities about legal cases and agencies: a task for the legal team, where a case
stands for the store (the legal inbox reads it there, without asking Temporal), the news between a case and its
account, and an account's placements with agencies (the agency's view and the statements read them)."""

from datetime import datetime

from pydantic import BaseModel

from domain.agencies import Placement
from domain.agency_reports import PlacedPayment
from domain.case_messages import AccountClosed, CaseProgress
from domain.legal_proceedings import STAGE_NAMES, CaseEntry, CaseState, CaseTask, next_deadline, open_tasks


class CaseTaskRequest(BaseModel):
    idempotency_key: str
    case_id: str
    account_id: str
    step: str  # the task's step in the queue: `<case id>:<task key>`
    summary: str
    due_at: datetime


class AccountNews(BaseModel):
    """For the account's workflow, from its case's: signalled by an activity, with the retries of every other side
    effect; an account that has closed hears nothing more (activities.legal_proceedings)."""

    workflow_id: str
    progress: CaseProgress


class CaseNews(BaseModel):
    """For the case's workflow, from its account's: the account closed."""

    workflow_id: str
    closed: AccountClosed


class PlacementsRecord(BaseModel):
    """An account's placements with agencies and the payments that earned commission: for the store."""

    account_id: str
    placements: list[Placement]
    payments: list[PlacedPayment]


class CaseRecord(BaseModel):
    case_id: str
    case_workflow_id: str
    account_id: str
    stage: str
    next_deadline: datetime | None
    next_step: str
    history: list[CaseEntry]
    open_steps: list[str]  # the queue's tasks still to do: the case's others are closed as done
    outcome: str | None = None
    outcome_note: str = ""
    outcome_by: str = "system"
    closed_at: datetime | None = None


def task_request(case: CaseState, workflow_id: str, task: CaseTask) -> CaseTaskRequest:
    return CaseTaskRequest(idempotency_key=f"{workflow_id}/{task.key}", case_id=case.case_id,
                           account_id=case.account_id, step=f"{case.case_id}:{task.key}",
                           summary=f"{case.case_id}: {task.summary}", due_at=task.due_at)  # fmt: skip


def record(case: CaseState, workflow_id: str) -> CaseRecord:
    deadline, step = next_deadline(case)
    closing = next((e for e in reversed(case.history) if e.step in ("close", "account closed")), None)
    return CaseRecord(
        case_id=case.case_id, case_workflow_id=workflow_id, account_id=case.account_id, stage=STAGE_NAMES[case.stage],
        next_deadline=deadline, next_step=step, history=case.history,
        open_steps=[f"{case.case_id}:{key}" for key in open_tasks(case)] if case.stage != "closed" else [],
        outcome=case.outcome, outcome_note=case.outcome_note, outcome_by=closing.by if closing else "system",
        closed_at=case.stage_since if case.stage == "closed" else None,
    )  # fmt: skip
