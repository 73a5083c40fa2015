"""CollectionWorkflow: one per overdue account. Holds state, asks the planner, acts or sleeps.

No business rule lives here: every decision comes from domain.planner.plan(state, now)."""

from datetime import datetime, timedelta

from pydantic import BaseModel
from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.account import AccountState, EventOutcome
    from domain.actions import ActionResult
    from domain.events import InvoiceOverdue, PaymentReceived
    from domain.planner import Act, Close, Skip, Wait, plan
    from domain.policy import Policy
    from domain.status import AccountStatus, account_status, stage_and_day

import contextlib

from workflows import (
    ACCOUNT_ID,
    DAYS_PAST_DUE,
    EVENT_OUTCOME,
    INVOICE_OVERDUE,
    OUTSTANDING,
    PAYMENT_RECEIVED,
    SEGMENT,
    STAGE,
    STATUS,
    WORKFLOW_TYPE,
)

# Channels fail transiently (SMTP down, disk full): retry without limit, backing off to every 5 minutes.
# A message that can never be rendered or delivered fails at once and is recorded as a failed step.
ACTION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["TemplateError", "InvalidRecipient"],
)


class CollectionInput(BaseModel):
    account_id: str
    policy: Policy
    # The time-skipping test server cannot register custom search attributes: tests turn them off.
    publish_search_attributes: bool = True


@workflow.defn(name=WORKFLOW_TYPE)
class CollectionWorkflow:
    @workflow.init
    def __init__(self, input: CollectionInput) -> None:
        self.state = AccountState(
            workflow_id=workflow.info().workflow_id, account_id=input.account_id, policy=input.policy
        )
        self.publish = input.publish_search_attributes
        self.changed = False
        self.published: tuple | None = None

    @workflow.run
    async def run(self, input: CollectionInput) -> AccountStatus:
        while True:
            now = workflow.now()
            decision = plan(self.state, now)
            self._publish_search_attributes()
            match decision:
                case Close(outcome, reason):
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    if not isinstance(plan(self.state, workflow.now()), Close):
                        continue  # a signal (a new invoice) arrived while closing: plan again
                    self.state.close(workflow.now(), outcome, reason)
                    self._publish_search_attributes()
                    return account_status(self.state, workflow.now())
                case Skip(step, day, reason):
                    self.state.record_step(now, step.key, "skipped", f"{step.action.value}: {reason}", day)
                case Act():
                    await self._act(decision)
                case Wait(until):
                    await self._sleep(until - now if until else None)

    async def _act(self, act: Act) -> None:
        key = act.request.idempotency_key
        try:
            result = await workflow.execute_activity(
                act.step.action.value,
                act.request,
                result_type=ActionResult,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=ACTION_RETRY,
            )
        except ActivityError as error:
            detail = f"{act.step.action.value} failed: {error.cause or error}"
            self.state.record_step(workflow.now(), act.step.key, "failed", detail, act.day, key)
            return
        detail = f"{act.step.action.value} to {result.recipient} via {result.channel} (ref {result.reference})"
        self.state.record_step(workflow.now(), act.step.key, "done", detail, act.day, key)

    async def _sleep(self, timeout: timedelta | None) -> None:
        """Sleep until the deadline, or less if a signal changes the state (then re-plan at once)."""
        self.changed = False
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self.changed, timeout=timeout)

    def _publish_search_attributes(self) -> None:
        if not self.publish or self.state.debtor is None:
            return
        stage, day = stage_and_day(self.state, workflow.now())
        outstanding = float(sum(self.state.balances().values()))
        values = (stage, outstanding, day or 0, self.state.debtor.segment)
        if values == self.published:
            return
        self.published = values
        workflow.upsert_search_attributes(
            [
                STAGE.value_set(values[0]),
                OUTSTANDING.value_set(values[1]),
                DAYS_PAST_DUE.value_set(values[2]),
                SEGMENT.value_set(values[3]),
                ACCOUNT_ID.value_set(self.state.account_id),
            ]
        )

    @workflow.signal(name=INVOICE_OVERDUE)
    def invoice_overdue(self, event: InvoiceOverdue) -> None:
        self.state.add_invoice(event, workflow.now())
        self.changed = True

    @workflow.signal(name=PAYMENT_RECEIVED)
    def payment_received(self, payment: PaymentReceived) -> None:
        self.changed = self.state.add_payment(payment, workflow.now()) or self.changed

    @workflow.query(name=STATUS)
    def status(self, as_of: datetime | None = None) -> AccountStatus:
        """The account as of `as_of` (the caller's clock): workflow.now() in a query is the time of the last
        workflow task, which may be days ago while the account sleeps. Queries leave no history."""
        return account_status(self.state, as_of or workflow.now())

    @workflow.query(name=EVENT_OUTCOME)
    def event_outcome(self, event_id: str) -> EventOutcome | None:
        """What became of an event: lets the starter report `joined` or `duplicate` after signal-with-start."""
        return self.state.events.get(event_id)
