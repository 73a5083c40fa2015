"""CollectionWorkflow: one per account, from its first invoice (due or not yet). Holds state, asks the planner, acts or
sleeps.

No business rule lives here: every decision comes from domain.planner.plan(state, now)."""

import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain import contact_window
    from domain import rerouting as rules
    from domain.account import RULES, AccountState
    from domain.actions import ActionResult
    from domain.agency_commands import AgencyComplaint, AgencyReport, PlaceWithAgency, RecallFromAgency
    from domain.case_messages import CaseProgress
    from domain.case_records import PlacementsRecord
    from domain.commands import (
        AgreeInstallmentPlan,
        ApprovalDecision,
        CeaseCommunication,
        Command,
        CompleteTask,
        ConfirmBalance,
        ConfirmLawyerLetter,
        ContactOutcome,
        LegalOutcome,
        LetterDelivery,
        MigratePolicy,
        OfferSettlement,
        OpenDispute,
        OverrideLimitation,
        Pause,
        PromiseToPay,
        RecordContact,
        RecordSignature,
        ReportBankruptcy,
        ResolveDispute,
        Resume,
        UpdateContact,
        WriteOff,
    )
    from domain.events import BillingEvent, InvoiceEvent, PaymentReceived
    from domain.kinds import LOCAL, ActionKind
    from domain.planner import Act, Close, Defer, Skip, Wait, plan
    from domain.status import AccountStatus, account_status, stage_and_day
    from observability import APPROVALS_DECIDED, APPROVALS_REQUESTED, LEGAL_HANDOFFS, STAGE_TRANSITIONS
    from workflows.inputs import CollectionInput
    from workflows.visibility import Published, published_values, search_attribute_updates

import workflows as names
from workflows import WORKFLOW_TYPE
from workflows.records import ACTION_RETRY, AccountRecords

contact_window.unrestricted = workflow.unsafe.sandbox_unrestricted  # holiday calendars: see contact_window


@workflow.defn(name=WORKFLOW_TYPE)
class CollectionWorkflow(AccountRecords):
    @workflow.init
    def __init__(self, input: CollectionInput) -> None:
        self.state = input.state or AccountState(
            workflow_id=workflow.info().workflow_id, account_id=input.account_id, policy=input.policy, arm=input.arm
        )
        if input.state is None and workflow.patched("rules-before-messages"):
            # A signal or update can come in the first workflow task with the start: it must find the account's
            # rules already set (one applied under rules 0 closed a write-off that should have waited for approval).
            self.state.rules = self._opened_under()
        # Marker `lean-steps`: this run records its store-only steps as local activities and publishes only the
        # search attributes that changed (a run recorded before it replays with activities and full upserts).
        self.lean = workflow.patched("lean-steps")
        # Marker `kpi-facts`: this run writes the account's facts (domain.facts) to the store for the KPIs.
        self.record_facts = workflow.patched("kpi-facts")
        self.facts_recorded: set[str] = set()
        self.publish = input.publish_search_attributes
        self.changed = False
        self.published: Published | None = None
        self.stage: str | None = None  # for the stage-transition counter
        self.placements_recorded: PlacementsRecord | None = None

    @workflow.run
    async def run(self, input: CollectionInput) -> AccountStatus:
        if input.state is None:  # accounts opened before the patch above set them here, after the first messages
            self.state.rules = self._opened_under()
        while True:
            if self._history_is_long(input):
                # Handlers first: an update half-done would be lost with this run. Signals that arrive meanwhile
                # fail this task's completion and are applied on retry, before the state is handed over.
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(input.model_copy(update={"state": self.state}))
            await self._log_contacts()
            await self._record_placements()
            await self._record_facts()
            now = workflow.now()
            rules.settle(self.state, now)
            decision = plan(self.state, now)
            self._publish_search_attributes()
            self._count_stage(now)
            match decision:
                case Close(outcome, reason):
                    await workflow.wait_condition(workflow.all_handlers_finished)
                    if not isinstance(plan(self.state, workflow.now()), Close):
                        continue  # a signal (a new invoice) arrived while closing: plan again
                    workflow.logger.info("closing: %s (%s)", outcome, reason)
                    await self._record_decision("closed", "closed", outcome, f"{outcome}: {reason}")
                    self.state.close(workflow.now(), outcome, reason)
                    await self._record_facts()
                    await self._close_case(outcome, reason)
                    self._publish_search_attributes()
                    return account_status(self.state, workflow.now())
                case Skip(step, day, reason):
                    workflow.logger.info("skipping %s: %s", step.key, reason)
                    await self._record_decision(step.key, step.action.value, "skipped", reason)
                    self.state.record_step(now, step.key, "skipped", f"{step.action.value}: {reason}", day)
                case Act():
                    await self._act(decision)
                case Defer(step, until, reason, wake):
                    if self.state.deferred.get(step.key) != until:
                        workflow.logger.info("deferring %s to %s: %s", step.key, until.isoformat(), reason)
                    self.state.note_deferral(now, step.key, until, reason)
                    await self._sleep((wake or until) - now)
                case Wait(until):
                    await self._sleep(until - now if until else None)

    @staticmethod
    def _opened_under() -> int:
        """The rules an account opened under (domain.account.RULES), recorded as a patch marker `account-rules-N`: a
        new account takes the latest, one replaying its history finds the version it recorded (0: none, before
        versions existed). Every version stays asked for, newest first, so that raising RULES leaves older accounts
        on theirs (see tests/histories/README.md)."""
        return next((version for version in range(RULES, 0, -1) if workflow.patched(f"account-rules-{version}")), 0)

    def _history_is_long(self, input: CollectionInput) -> bool:
        info = workflow.info()
        long = info.is_continue_as_new_suggested() or info.get_current_history_length() >= input.continue_as_new_after
        return long and self.state.outcome is None

    async def _act(self, act: Act) -> None:
        key = act.request.idempotency_key
        local = self.lean and act.step.action in LOCAL  # a staff task: done within this workflow task
        execute = workflow.execute_local_activity if local else workflow.execute_activity
        try:
            result = await execute(
                act.step.action.value,
                act.request,
                result_type=ActionResult,
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=ACTION_RETRY,
            )
        except ActivityError as error:
            detail = f"{act.step.action.value} failed: {error.cause or error}"
            self.state.record_step(workflow.now(), act.step.key, "failed", detail, act.day, key)
            self._contact_outcome_of(error, act)
            return
        detail = f"{act.step.action.value} to {result.recipient} via {result.channel} (ref {result.reference})"
        detail += f"; {act.why}" if act.why else ""
        tracking = result.reference if result.channel == "courier" else None  # the courier's tracking number
        self.state.record_step(workflow.now(), act.step.key, "done", detail, act.day, key, act.step.action, tracking)
        workflow.logger.info("done %s: %s via %s", act.step.key, act.step.action.value, result.channel)
        meter = workflow.metric_meter()
        if act.step.hands_to_legal:
            meter.create_counter(LEGAL_HANDOFFS, "cases handed to the legal team").add(1)
            if self.state.rules >= 10:
                await self._open_case()
        if act.step.action == ActionKind.APPROVAL_REQUEST and "reminder" not in act.step.key:
            level = act.request.details.get("level", "")
            meter.create_counter(APPROVALS_REQUESTED, "approval requests sent").add(1, {"level": level})

    def _count_stage(self, now: datetime) -> None:
        """Stage transitions for the metrics (a new run after continue-as-new starts from where it stands)."""
        stage, _ = stage_and_day(self.state, now)
        if self.stage is not None and stage != self.stage:
            workflow.metric_meter().create_counter(STAGE_TRANSITIONS, "accounts moving between stages").add(
                1, {"from": self.stage, "to": stage}
            )
            workflow.logger.info("stage %s -> %s", self.stage, stage)
        self.stage = stage

    def _contact_outcome_of(self, error: ActivityError, act: Act) -> None:
        """A provider's permanent refusal may say something about the debtor (a wrong number): a contact outcome."""
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == "PermanentSendError" and cause.details:
            key = act.request.idempotency_key
            rules.apply_provider_refusal(self.state, act.step.action, key, cause.details[0], workflow.now())

    async def _sleep(self, timeout: timedelta | None) -> None:
        """Sleep until the deadline, or less if a signal changes the state (then re-plan at once)."""
        self.changed = False
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self.changed, timeout=timeout)

    def _publish_search_attributes(self) -> None:
        if not self.publish or self.state.debtor is None:
            return
        values = published_values(self.state, workflow.now())
        updates = search_attribute_updates(values, self.published, changed_only=self.lean)
        if updates:  # each upsert is an event and work for the server's visibility store
            self.published = values
            workflow.upsert_search_attributes(updates)

    # --- messages: each applies a domain rule and wakes the loop to plan again ---

    def _apply(self, apply: Callable[..., None], message: Command, *extra: object) -> AccountStatus:
        # An update that conflicts or finds the account full was refused by its validator; a signal is refused here.
        if not rules.refuse_signal(self.state, message, workflow.now()):
            apply(self.state, message, workflow.now(), *extra)
        self.changed = True
        return account_status(self.state, workflow.now())

    def _check(self, check: Callable[..., None], command: Command) -> None:
        """Validators reject before anything is written to history."""
        try:
            rules.check_acceptable(self.state, command)
            check(self.state, command, workflow.now())
        except rules.CommandRejected as rejected:
            raise ApplicationError(str(rejected), type=type(rejected).__name__, non_retryable=True) from None

    @workflow.signal(name=names.INVOICE_OVERDUE)
    def invoice_overdue(self, event: InvoiceEvent) -> None:
        self.state.add_invoice(event, workflow.now())
        self.changed = True

    @workflow.signal(name=names.BILLING_EVENT)
    def billing_event(self, event: BillingEvent) -> None:
        rules.apply_billing_event(self.state, event, workflow.now())
        self.changed = True

    @workflow.signal(name=names.PAYMENT_RECEIVED)
    def payment_received(self, payment: PaymentReceived) -> None:
        if self.state.add_payment(payment, workflow.now()):
            rules.credit_agency(self.state, payment, workflow.now())  # while placed: the agency's commission
            self.changed = True

    @workflow.signal(name=names.REPORT_BANKRUPTCY)
    def report_bankruptcy(self, command: ReportBankruptcy) -> None:
        self._apply(rules.apply_bankruptcy, command)

    @workflow.signal(name=names.CONTACT_OUTCOME)
    def contact_outcome(self, command: ContactOutcome) -> None:
        self._apply(rules.apply_contact_outcome, command)

    @workflow.signal(name=names.LETTER_DELIVERY)
    def letter_delivery(self, command: LetterDelivery) -> None:
        self._apply(rules.apply_letter_delivery, command)

    @workflow.signal(name=names.LEGAL_OUTCOME)
    def legal_outcome(self, command: LegalOutcome) -> None:
        self._apply(rules.apply_legal_outcome, command)

    @workflow.signal(name=names.LEGAL_CASE_PROGRESS)
    def legal_case_progress(self, progress: CaseProgress) -> None:
        self._apply(rules.apply_case_progress, progress)

    @workflow.update(name=names.PROMISE_TO_PAY)
    def promise_to_pay(self, command: PromiseToPay) -> AccountStatus:
        return self._apply(rules.apply_promise, command)

    @promise_to_pay.validator
    def _promise_to_pay(self, command: PromiseToPay) -> None:
        self._check(rules.check_promise, command)

    @workflow.update(name=names.AGREE_INSTALLMENT_PLAN)
    def agree_installment_plan(self, command: AgreeInstallmentPlan) -> AccountStatus:
        return self._apply(rules.apply_installment_plan, command)

    @agree_installment_plan.validator
    def _agree_installment_plan(self, command: AgreeInstallmentPlan) -> None:
        self._check(rules.check_installment_plan, command)

    @workflow.update(name=names.OPEN_DISPUTE)
    def open_dispute(self, command: OpenDispute) -> AccountStatus:
        return self._apply(rules.apply_dispute, command)

    @open_dispute.validator
    def _open_dispute(self, command: OpenDispute) -> None:
        self._check(rules.check_dispute, command)

    @workflow.update(name=names.RESOLVE_DISPUTE)
    def resolve_dispute(self, command: ResolveDispute) -> AccountStatus:
        return self._apply(rules.apply_resolution, command)

    @resolve_dispute.validator
    def _resolve_dispute(self, command: ResolveDispute) -> None:
        self._check(rules.check_resolution, command)

    @workflow.update(name=names.UPDATE_CONTACT)
    def update_contact(self, command: UpdateContact) -> AccountStatus:
        return self._apply(rules.apply_update_contact, command)

    @update_contact.validator
    def _update_contact(self, command: UpdateContact) -> None:
        self._check(rules.check_update_contact, command)

    @workflow.update(name=names.PAUSE)
    def pause(self, command: Pause) -> AccountStatus:
        return self._apply(rules.apply_pause, command)

    @pause.validator
    def _pause(self, command: Pause) -> None:
        self._check(rules.check_pause, command)

    @workflow.update(name=names.RESUME)
    def resume(self, command: Resume) -> AccountStatus:
        return self._apply(rules.apply_resume, command)

    @resume.validator
    def _resume(self, command: Resume) -> None:
        self._check(rules.check_resume, command)

    @workflow.update(name=names.CEASE_COMMUNICATION)
    def cease_communication(self, command: CeaseCommunication) -> AccountStatus:
        return self._apply(rules.apply_cease, command)

    @cease_communication.validator
    def _cease_communication(self, command: CeaseCommunication) -> None:
        self._check(rules.check_cease, command)

    @workflow.update(name=names.OVERRIDE_LIMITATION)
    def override_limitation(self, command: OverrideLimitation) -> AccountStatus:
        return self._apply(rules.apply_override, command)

    @override_limitation.validator
    def _override_limitation(self, command: OverrideLimitation) -> None:
        self._check(rules.check_open, command)

    @workflow.update(name=names.MIGRATE_POLICY)
    def migrate_policy(self, command: MigratePolicy) -> AccountStatus:
        return self._apply(rules.apply_migrate, command)

    @migrate_policy.validator
    def _migrate_policy(self, command: MigratePolicy) -> None:
        self._check(rules.check_migrate, command)

    @workflow.update(name=names.WRITE_OFF)
    def write_off(self, command: WriteOff) -> AccountStatus:
        return self._apply(rules.apply_write_off, command)

    @write_off.validator
    def _write_off(self, command: WriteOff) -> None:
        self._check(rules.check_write_off, command)

    @workflow.update(name=names.RECORD_CONTACT)
    def record_contact(self, command: RecordContact) -> AccountStatus:
        return self._apply(rules.apply_record_contact, command)

    @record_contact.validator
    def _record_contact(self, command: RecordContact) -> None:
        self._check(rules.check_record_contact, command)

    @workflow.update(name=names.COMPLETE_TASK)
    def complete_task(self, command: CompleteTask) -> AccountStatus:
        return self._apply(rules.apply_complete_task, command)

    @complete_task.validator
    def _complete_task(self, command: CompleteTask) -> None:
        self._check(rules.check_complete_task, command)

    @workflow.update(name=names.CONFIRM_BALANCE)
    def confirm_balance(self, command: ConfirmBalance) -> AccountStatus:
        return self._apply(rules.apply_confirm_balance, command)

    @confirm_balance.validator
    def _confirm_balance(self, command: ConfirmBalance) -> None:
        self._check(rules.check_confirm_balance, command)

    @workflow.update(name=names.RECORD_SIGNATURE)
    def record_signature(self, command: RecordSignature) -> AccountStatus:
        return self._apply(rules.apply_signature, command)

    @record_signature.validator
    def _record_signature(self, command: RecordSignature) -> None:
        self._check(rules.check_signature, command)

    @workflow.update(name=names.OFFER_SETTLEMENT)
    def offer_settlement(self, command: OfferSettlement) -> AccountStatus:
        return self._apply(rules.apply_settlement, command)

    @offer_settlement.validator
    def _offer_settlement(self, command: OfferSettlement) -> None:
        self._check(rules.check_settlement, command)

    @workflow.update(name=names.CONFIRM_LAWYER_LETTER)
    def confirm_lawyer_letter(self, command: ConfirmLawyerLetter) -> AccountStatus:
        return self._apply(rules.apply_confirm_lawyer_letter, command)

    @confirm_lawyer_letter.validator
    def _confirm_lawyer_letter(self, command: ConfirmLawyerLetter) -> None:
        self._check(rules.check_confirm_lawyer_letter, command)

    @workflow.update(name=names.PLACE_WITH_AGENCY)
    def place_with_agency(self, command: PlaceWithAgency) -> AccountStatus:
        return self._apply(rules.apply_placement, command)

    @place_with_agency.validator
    def _place_with_agency(self, command: PlaceWithAgency) -> None:
        self._check(rules.check_placement, command)

    @workflow.update(name=names.RECALL_FROM_AGENCY)
    def recall_from_agency(self, command: RecallFromAgency) -> AccountStatus:
        return self._apply(rules.apply_recall, command)

    @recall_from_agency.validator
    def _recall_from_agency(self, command: RecallFromAgency) -> None:
        self._check(rules.check_recall, command)

    @workflow.update(name=names.AGENCY_REPORT)
    def agency_report(self, command: AgencyReport) -> AccountStatus:
        return self._apply(rules.apply_agency_report, command)

    @agency_report.validator
    def _agency_report(self, command: AgencyReport) -> None:
        self._check(rules.check_agency_report, command)

    @workflow.update(name=names.AGENCY_COMPLAINT)
    def agency_complaint(self, command: AgencyComplaint) -> AccountStatus:
        return self._apply(rules.apply_complaint, command)

    @agency_complaint.validator
    def _agency_complaint(self, command: AgencyComplaint) -> None:
        self._check(rules.check_complaint, command)

    @workflow.update(name=names.APPROVE_ACTION)
    def approve_action(self, command: ApprovalDecision) -> AccountStatus:
        self._count_decision(command, "approved")
        return self._apply(rules.apply_decision, command, True)

    @approve_action.validator
    def _approve_action(self, command: ApprovalDecision) -> None:
        self._check(rules.check_decision, command)

    @workflow.update(name=names.REJECT_ACTION)
    def reject_action(self, command: ApprovalDecision) -> AccountStatus:
        self._count_decision(command, "rejected")
        return self._apply(rules.apply_decision, command, False)

    def _count_decision(self, command: ApprovalDecision, decision: str) -> None:
        if not rules.seen(self.state, command):
            workflow.metric_meter().create_counter(APPROVALS_DECIDED, "approvals decided").add(
                1, {"decision": decision}
            )

    @reject_action.validator
    def _reject_action(self, command: ApprovalDecision) -> None:
        self._check(rules.check_decision, command)

    @workflow.query(name=names.STATUS)
    def status(self, as_of: datetime | None = None) -> AccountStatus:
        """The account as of `as_of` (the caller's clock): workflow.now() in a query is the time of the last
        workflow task, which may be days ago while the account sleeps. Queries leave no history."""
        return account_status(self.state, as_of or workflow.now())

    @workflow.query(name=names.EVENT_OUTCOME)
    def event_outcome(self, event_id: str, said: str | None = None) -> str | None:
        """What became of an event (domain.account.EventOutcome): lets the sender report `joined`, `known`,
        `applied` or `duplicate` after its signal, `rejected: <why>` for a billing event refused, or `conflict` when
        the event it sent (its digest `said`) is not the one that id was first used for."""
        if said is not None and self.state.event_conflict(event_id, said):
            return "conflict"
        outcome = self.state.events.get(event_id)
        refusal = self.state.event_refusals.get(event_id)
        return f"{outcome}: {refusal}" if outcome == "rejected" and refusal else outcome

    @workflow.query(name=names.MESSAGE_DIGEST)
    def message_digest(self, kind: str, message_id: str) -> str | None:
        """What the payment or command with this id said (domain.commands.digest): lets a sender see that an id it
        is about to signal with was already used for something else, and refuse it before sending."""
        if kind == "payment":
            return next((p.digest for p in self.state.payments if p.payment_id == message_id), None)
        return self.state.digests.get(message_id)
