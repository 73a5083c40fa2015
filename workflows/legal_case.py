"""LegalCaseWorkflow: one per case handed to legal (from rules 10), started by its account's workflow and running on
after it, for as long as the case lives (years: the enforcement deadline is two).

It sleeps until the case's next clock (a window's end, a reminder, a deadline), gives the legal team each task of the
stage, keeps the store's case row current for the legal inbox, and tells the account where the case stands (costs
awarded, how it ended). No business rule lives here: domain.legal_proceedings decides."""

import contextlib

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.case_messages import AccountClosed, CaseStep
    from domain.case_records import AccountNews, record, task_request
    from domain.legal_proceedings import (
        CaseRejected,
        CaseState,
        apply_step,
        check_step,
        close,
        elapse,
        next_task,
        next_wake,
    )

import workflows as names
from workflows.records import store


@workflow.defn(name=names.LEGAL_CASE_TYPE)
class LegalCaseWorkflow:
    @workflow.init
    def __init__(self, case: CaseState) -> None:
        self.case = case
        self.changed = False

    @workflow.run
    async def run(self, case: CaseState) -> CaseState:
        recorded = None
        while True:
            self.changed = False  # before reading the case: a step recorded from here on wakes the wait below
            now = workflow.now()
            elapse(self.case, now)
            await self._tell_account()
            task = next_task(self.case, now)
            if task is not None:
                request = task_request(self.case, workflow.info().workflow_id, task)
                await store("open_case_task", request)
                self.case.tasks_opened.append(task.key)
                continue
            progress = record(self.case, workflow.info().workflow_id)
            if progress != recorded:
                await store("record_case_progress", progress)
                recorded = progress
            if self.case.stage == "closed":
                await workflow.wait_condition(workflow.all_handlers_finished)
                return self.case
            if workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(self.case)
            now = workflow.now()
            wake = next_wake(self.case, now)
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self.changed, timeout=wake - now if wake else None)

    async def _tell_account(self) -> None:
        """What the account must know, in order, once each (the account applies a repeat once too)."""
        while self.case.to_tell:  # sent, each leaves the case's state
            news = AccountNews(workflow_id=self.case.account_workflow_id, progress=self.case.to_tell[0])
            await store("tell_account", news)
            self.case.to_tell.pop(0)
            self.case.told += 1

    @workflow.update(name=names.RECORD_CASE_STEP)
    def record_case_step(self, step: CaseStep) -> CaseState:
        apply_step(self.case, step, workflow.now())
        self.changed = True
        return self.case

    @record_case_step.validator
    def _record_case_step(self, step: CaseStep) -> None:
        try:
            check_step(self.case, step, workflow.now())
        except CaseRejected as rejected:
            raise ApplicationError(str(rejected), type="CommandRejected", non_retryable=True) from None

    @workflow.signal(name=names.ACCOUNT_CLOSED)
    def account_closed(self, closed: AccountClosed) -> None:
        """The account closed (paid, settled, written off): the case ends with it, the account not told again."""
        if self.case.stage != "closed":
            self.case.log(workflow.now(), "account closed", f"the account closed: {closed.outcome}: {closed.reason}")
            close(self.case, workflow.now(), closed.outcome, closed.reason, tell=False)
            self.changed = True

    @workflow.query(name=names.CASE_STATUS)
    def status(self) -> CaseState:
        return self.case
