"""A stuck account is seen, not discovered months later.

An exception that is not a Temporal failure (a bug in the planner, a rule that raises on data it did not expect)
fails the workflow task: Temporal retries it until the code is fixed, and meanwhile the account does nothing. That
is the right behaviour (a fixed worker picks the account up where it stood), but it is silent. This interceptor
makes it loud, on each failed attempt: an error-level log line naming the account (its id only: the exception's
text may hold debtor data, and Temporal keeps it in the task failure) and the `collections_workflow_task_failures`
counter. Supervisors list the stuck accounts from visibility (book.Filters.stuck)."""

from typing import Any, NoReturn

from temporalio import workflow
from temporalio.exceptions import FailureError
from temporalio.worker import (
    ExecuteWorkflowInput,
    HandleSignalInput,
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

with workflow.unsafe.imports_passed_through():
    from observability import WORKFLOW_TASK_FAILURES
    from workflows import WORKFLOW_ID_PREFIX


class SurfaceTaskFailures(Interceptor):
    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return _Surfacing


class _Surfacing(WorkflowInboundInterceptor):
    """The workflow's code runs in these three: its main loop, its signal handlers and its update handlers."""

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        try:
            return await super().execute_workflow(input)
        except Exception as error:
            _surface(error, "run")

    async def handle_signal(self, input: HandleSignalInput) -> None:
        try:
            await super().handle_signal(input)
        except Exception as error:
            _surface(error, f"signal {input.signal}")

    async def handle_update_handler(self, input: HandleUpdateInput) -> Any:
        try:
            return await super().handle_update_handler(input)
        except Exception as error:
            _surface(error, f"update {input.update}")


def _surface(error: Exception, where: str) -> NoReturn:
    """Log and count an exception that fails the task (a Temporal failure fails the workflow or the update: not ours
    to report), then let it fail the task as it would have."""
    if not isinstance(error, FailureError):
        account = workflow.info().workflow_id.removeprefix(WORKFLOW_ID_PREFIX)
        workflow.logger.error(
            "workflow task failed for account %s in %s (%s): the account is stuck until the code is fixed; the "
            "error is in its workflow task failure in Temporal", account, where, type(error).__name__,
        )  # fmt: skip
        workflow.metric_meter().create_counter(WORKFLOW_TASK_FAILURES, "failed workflow tasks (stuck accounts)").add(
            1, {"where": where.split(" ")[0]}
        )
    raise error
