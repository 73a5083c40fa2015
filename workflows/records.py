"""What the collection workflow records besides its actions, as activities: its decisions and the calls and visits
people made (the contact log's evidence), its placements with agencies, and the start and end of its legal case.
A mixin of CollectionWorkflow, which holds `state` and `placements_recorded`."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from domain import rerouting as rules
    from domain.account import AccountState
    from domain.actions import ContactEntry, DecisionRecord
    from domain.bounds import MAX_NOTE
    from domain.case_messages import AccountClosed
    from domain.case_records import CaseNews, PlacementsRecord
    from domain.facts import FactsRecord, facts

import workflows as names

# Channels fail transiently (SMTP down, disk full): retry without limit, backing off to every 5 minutes.
# A message that can never be rendered or delivered fails at once and is recorded as a failed step.
ACTION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["TemplateError", "InvalidRecipient", "PermanentSendError"],
)


STORE_TIMEOUT = timedelta(minutes=1)


async def store(activity: str, argument: object, local: bool = False) -> None:
    """An activity that writes our own store (or tells another workflow): quick, retried like any action. `local`:
    run by this worker within the workflow task (no round trip through the server's task queue), for the steps that
    only write our store. Its result is a marker in the history instead of three activity events."""
    execute = workflow.execute_local_activity if local else workflow.execute_activity
    await execute(activity, argument, start_to_close_timeout=STORE_TIMEOUT, retry_policy=ACTION_RETRY)


class AccountRecords:
    state: AccountState
    placements_recorded: PlacementsRecord | None
    lean: bool  # the run records its store-only steps as local activities (CollectionWorkflow.__init__)
    record_facts: bool  # the run writes the account's facts for the KPIs (marker `kpi-facts`)
    facts_recorded: set[str]

    async def _record_decision(self, step: str, action: str, result: str, detail: str) -> None:
        """Decisions go to the store's contact log too: the evidence shows what was not done, and why."""
        assert self.state.debtor is not None
        decision = DecisionRecord(
            idempotency_key=f"{self.state.idempotency_key(step)}/{result}",
            account_id=self.state.account_id,
            timezone=self.state.debtor.timezone,
            step=step,
            action=action,
            result=result,
            detail=detail,
            at=workflow.now(),
        )
        await store("record_decision", decision, self.lean)

    async def _log_contacts(self) -> None:
        """Calls and visits people recorded go to the store's contact log, as evidence (once each)."""
        for record in [r for r in self.state.contact_records if not r.logged]:
            state, key = self.state, f"{self.state.workflow_id}/contact/{record.record_id}"
            assert state.debtor is not None
            entry = ContactEntry(idempotency_key=key, account_id=state.account_id, timezone=state.debtor.timezone,
                                 record=record)  # fmt: skip
            await store("log_contact", entry, self.lean)
            record.logged = True

    async def _record_placements(self) -> None:
        """Placements with agencies and the payments they earned commission on go to the store, for the agency's
        view, the statements and the performance report (upserted: the latest wins). Until the store has the
        latest: a payment that arrives while one is written is written next, not left for the next wake-up."""
        while self.state.placements:
            record = PlacementsRecord(account_id=self.state.account_id, placements=self.state.placements,
                                      payments=self.state.agency_payments)  # fmt: skip
            if record == self.placements_recorded:
                return
            await store("record_placements", record, self.lean)
            self.placements_recorded = record

    async def _record_facts(self) -> None:
        """What the KPIs count (domain.facts), each new fact once: a local activity when there is any. A run after
        continue-as-new sends them all once more (the store keeps the first of each)."""
        if not self.record_facts or self.state.debtor is None:
            return
        new = facts(self.state, workflow.now(), known=self.facts_recorded)
        if new:
            record = FactsRecord(account_id=self.state.account_id, segment=self.state.debtor.segment,
                                 policy=self.state.policy.name, arm=self.state.arm, facts=new)  # fmt: skip
            await store("record_facts", record, local=True)
            self.facts_recorded.update(fact.key for fact in new)

    async def _open_case(self) -> None:
        """The case handed over runs as a workflow of its own, which lives as long as the case (`_close_case` tells
        it when the account closes first)."""
        case = rules.open_case(self.state, workflow.now(), names.case_workflow_id)
        await store("start_legal_case", case)

    async def _close_case(self, outcome: str, reason: str) -> None:
        case = self.state.legal_case
        if case is not None and not case.closed:
            news = CaseNews(
                workflow_id=case.workflow_id, closed=AccountClosed(outcome=outcome, reason=reason[:MAX_NOTE])
            )
            await store("tell_case", news)
            case.closed = True
