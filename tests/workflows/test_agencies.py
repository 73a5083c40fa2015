"""An account placed with a collection agency, under the time-skipping server: approved by the matrix, handed over
with its package, our own contact held, a payment earning the agency its commission, the agency's reports, and the
recall when nothing more comes of it, after which the ladder resumes where it stopped."""

import asyncio
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from temporalio import activity
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

import worker
from activities.agencies import AgencyDesk
from domain.agency_commands import AgencyReport, PlaceWithAgency, RecallFromAgency
from domain.case_records import PlacementsRecord
from domain.commands import ApprovalDecision
from domain.status import AccountStatus
from store.repository import Store
from tests.polling import eventually
from tests.workflows.harness import Account
from workflows import AGENCY_REPORT, APPROVE_ACTION, PLACE_WITH_AGENCY, RECALL_FROM_AGENCY


async def placed(account: Account) -> AccountStatus:
    await account.open(days_past_due=45, amount="20000.00")
    status = await account.update(PLACE_WITH_AGENCY, PlaceWithAgency, agency_id="example-agency",
                                  reason="no answer to the demand letter")  # fmt: skip
    [pending] = status.pending_approvals
    assert pending.step == "placement-cmd-1" and pending.approver == "supervisor"
    assert (
        pending.about
        == "place with 示例商账管理有限公司 (31-90 days, 15% of what it collects): no answer to the demand letter"
    )
    decision = ApprovalDecision(command_id="ok", by="wang.fang", step=pending.step, reason="agency it is",
                                approver_level="supervisor")  # fmt: skip
    return await account.handle.execute_update(APPROVE_ACTION, decision, result_type=AccountStatus)


async def test_a_placement_holds_our_contact_earns_commission_and_is_recalled_without_results(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with Account(time_env, tmp_path) as account:
        status = await placed(account)
        [placement] = status.placements
        assert (placement.agency_id, placement.rate, placement.placed_amount) == (
            "example-agency", Decimal("0.15"), Decimal("20000.00"))  # fmt: skip
        await account.days(1)
        sent_before = account.steps()
        report = AgencyReport(command_id="r-1", by="agent.li", agency_id="example-agency", kind="contact",
                              note="reached the finance manager")  # fmt: skip
        await account.handle.execute_update(AGENCY_REPORT, report, result_type=AccountStatus)
        stranger = report.model_copy(update={"command_id": "r-2", "agency_id": "other-agency"})
        with pytest.raises(WorkflowUpdateFailedError) as refused:
            await account.handle.execute_update(AGENCY_REPORT, stranger, result_type=AccountStatus)
        assert "is not placed with agency other-agency" in str(refused.value.cause)
        await account.pay("p-agency-1", "5000.00")
        await account.days(20)
        status = await account.status()
        assert account.steps() == sent_before  # no contact of ours while placed
        assert (status.placements[0].collected, status.placements[0].commission) == (
            Decimal("5000.00"), Decimal("750.00"))  # fmt: skip
        assert "placed with agency example-agency" in (status.waiting or "")
        await account.days(45)  # 60 days after the payment: nothing more came of it
        status = await account.status()
        recalled = status.placements[0]
        assert recalled.recall_reason == "no payment or promise reported in 60 days"
        await account.days(15)
        resumed = [step for step in account.steps() if step not in sent_before]
        with Store.open(account.database_url) as store:
            [row] = store.placements(agency_id="example-agency")
            [paid] = store.agency_payments("example-agency")
            handover = [t for t in store.tasks(account.id) if t.kind == "agency_placement"]

    assert resumed, "the ladder resumes after the recall"
    assert (row.collected, row.commission, row.recall_reason) == (
        Decimal("5000.0000"), Decimal("750.0000"), "no payment or promise reported in 60 days")  # fmt: skip
    assert (paid.amount, paid.commission, paid.account_id) == (Decimal("5000.0000"), Decimal("750.0000"), account.id)
    assert [(t.assignee_role, t.step) for t in handover] == [("agency", "placement-cmd-1-handover")]
    package = tmp_path / "legal" / "agencies" / "example-agency" / "placement-cmd-1" / "placement.json"
    assert '"contact_log"' not in package.read_text() and '"invoices"' in package.read_text()


async def test_a_recall_on_request_and_a_placement_refused_with_the_reason(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with Account(time_env, tmp_path) as account:
        await placed(account)
        with pytest.raises(WorkflowUpdateFailedError) as again:
            await account.update(PLACE_WITH_AGENCY, PlaceWithAgency, agency_id="example-agency", reason="twice")
        assert "placed with an agency already" in str(again.value.cause)
        status = await account.update(RECALL_FROM_AGENCY, RecallFromAgency, reason="the debtor complained")
        assert status.placements[0].recall_reason == "the debtor complained (by tester)"
        assert "placed with agency" not in (status.waiting or "")
        with pytest.raises(WorkflowUpdateFailedError) as nowhere:
            await account.update(PLACE_WITH_AGENCY, PlaceWithAgency, agency_id="nobody", reason="x")
        assert "no agency nobody in the account's policy (known: example-agency)" in str(nowhere.value.cause)
        await account.days(1)  # the handover's activities finish before the account is ended


async def test_an_agency_does_not_take_a_debt_younger_than_its_minimum(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with Account(time_env, tmp_path) as young:
        await young.open(days_past_due=10)
        with pytest.raises(WorkflowUpdateFailedError) as too_young:
            await young.update(PLACE_WITH_AGENCY, PlaceWithAgency, agency_id="example-agency", reason="early")
        assert "does not take debts younger than 31 days past due" in str(too_young.value.cause)
        await young.days(1)


async def test_a_payment_while_the_placement_is_being_written_is_written_next(
    time_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store must not miss a payment that arrives while the placement is being written (it once waited for
    the next wake-up, the recall 60 days on)."""
    entered, release = threading.Event(), threading.Event()

    class HeldDesk(AgencyDesk):
        @activity.defn(name="record_placements")
        def record_placements(self, record: PlacementsRecord) -> None:
            if record.placements[-1].first_report_at and not entered.is_set():  # waits while the payment arrives
                entered.set()
                release.wait(10)
            super().record_placements(record)

    monkeypatch.setattr(worker, "AgencyDesk", HeldDesk)
    async with Account(time_env, tmp_path) as account:
        await account.open(days_past_due=45, amount="20000.00")
        await account.update(PLACE_WITH_AGENCY, PlaceWithAgency, agency_id="example-agency", reason="silent")
        decision = ApprovalDecision(command_id="ok", by="wang.fang", step="placement-cmd-1", reason="ok",
                                    approver_level="supervisor")  # fmt: skip
        await account.handle.execute_update(APPROVE_ACTION, decision, result_type=AccountStatus)
        await account.days(1)  # handed over, the ladder held: nothing to do until the recall
        report = AgencyReport(command_id="r-1", by="agent.li", agency_id="example-agency", kind="contact")
        await account.handle.execute_update(AGENCY_REPORT, report, result_type=AccountStatus)
        assert await asyncio.to_thread(entered.wait, 10)
        await account.pay("p-during-write", "5000.00")
        await eventually(account.status, lambda s: s.placements[0].collected == Decimal("5000.00"))
        release.set()

        def stored() -> list[Decimal]:
            with Store.open(account.database_url) as store:
                return [row.collected for row in store.placements(agency_id="example-agency")]

        written = await eventually(lambda: asyncio.to_thread(stored), lambda rows: rows == [Decimal("5000.0000")])
        await account.days(1)

    assert written == [Decimal("5000.0000")]
