"""The side effects of a legal case's workflow (workflows.legal_case): the legal team's tasks in the work queue, and
where the case stands in the store's `legal_case` row. Both idempotent: a task once per key, the row overwritten
with the latest."""

import contextlib
import json
from datetime import UTC, datetime

from temporalio import activity
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.case_records import AccountNews, CaseNews, CaseRecord, CaseTaskRequest
from domain.legal_proceedings import CaseState
from store import queue
from store.models import Task
from store.repository import Store
from workflows import ACCOUNT_CLOSED, LEGAL_CASE_PROGRESS, LEGAL_CASE_TYPE, case_workflow_id

LEGAL_CASE_TASK = "legal_case"  # the queue's kind of a case's tasks


class CaseDesk:
    def __init__(self, store: Store) -> None:
        self.store = store

    @activity.defn(name="start_legal_case")
    async def start_legal_case(self, case: CaseState) -> str:
        """Start the case's workflow once: a retry finds it running (or over: a closed case never starts again).
        Started from here, not as a child, so that it outlives its account with no parent to close it."""
        workflow_id = case_workflow_id(case.case_id)
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await activity.client().start_workflow(
                LEGAL_CASE_TYPE, case, id=workflow_id, task_queue=activity.info().task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )  # fmt: skip
        return workflow_id

    @activity.defn(name="tell_account")
    async def tell_account(self, news: AccountNews) -> None:
        """The case's news for its account (applied once by its command id, however often sent)."""
        await _signal(news.workflow_id, LEGAL_CASE_PROGRESS, news.progress)

    @activity.defn(name="tell_case")
    async def tell_case(self, news: CaseNews) -> None:
        await _signal(news.workflow_id, ACCOUNT_CLOSED, news.closed)

    @activity.defn(name="open_case_task")
    def open_case_task(self, request: CaseTaskRequest) -> str:
        task = self.store.create_task(
            Task(idempotency_key=request.idempotency_key, account_id=request.account_id, kind=LEGAL_CASE_TASK,
                 assignee_role="legal", summary=request.summary, step=request.step, due_at=request.due_at,
                 state="open", created_at=datetime.now(UTC))
        )  # fmt: skip
        return f"task-{task.id}"

    @activity.defn(name="record_case_progress")
    def record_case_progress(self, progress: CaseRecord) -> None:
        history = json.dumps([entry.model_dump(mode="json") for entry in progress.history], ensure_ascii=False)
        self.store.follow_case(progress.case_id, {
            "case_workflow_id": progress.case_workflow_id, "stage": progress.stage,
            "next_deadline": progress.next_deadline, "next_step": progress.next_step, "history": history,
        })  # fmt: skip
        now = datetime.now(UTC)
        for row in self.store.tasks(progress.account_id, "open"):
            ours = row.kind == LEGAL_CASE_TASK and (row.step or "").startswith(f"{progress.case_id}:")
            if ours and row.step not in progress.open_steps:
                assert row.id is not None
                queue.close(self.store, row.id, "system", f"the case moved on: {progress.stage}", now)
        if progress.outcome is not None and progress.closed_at is not None:
            self.store.close_case(progress.case_id, progress.outcome, progress.outcome_note, progress.outcome_by,
                                  progress.closed_at)  # fmt: skip

    def all(self) -> list:
        return [self.start_legal_case, self.tell_account, self.tell_case, self.open_case_task,
                self.record_case_progress]  # fmt: skip


async def _signal(workflow_id: str, name: str, message: object) -> None:
    try:
        await activity.client().get_workflow_handle(workflow_id).signal(name, message)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:  # found none running: it has ended, with nothing left to hear
            raise
