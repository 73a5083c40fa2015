"""The legal case as a workflow of its own (rules 10), under the time-skipping server: handed over by the account's
litigation step, moved by the legal team's steps and by its own clocks, with the account open beside it."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from domain.authority import WRITE_OFF
from domain.case_messages import CaseStep
from domain.commands import ApprovalDecision
from domain.legal_proceedings import CaseState
from domain.status import AccountStatus
from store.repository import Store
from tests.polling import eventually
from tests.workflows.harness import Account
from workflows import APPROVE_ACTION, CASE_STATUS, RECORD_CASE_STEP


async def handed_over(account: Account) -> CaseState:
    await account.open(amount="60000.00")
    status = await account.approve_until("with_legal")
    assert status.legal_case is not None and status.legal_case.stage == "filing"
    await account.env.sleep(timedelta(minutes=1))  # the case's first workflow task
    return await account.case_handle().query(CASE_STATUS, result_type=CaseState)


async def step(account: Account, name: str, **fields: object) -> CaseState:
    case = await account.case_handle().query(CASE_STATUS, result_type=CaseState)
    command = CaseStep.model_validate({"command_id": f"step-{len(case.history)}", "by": "zhou.lawyer", "step": name,
                                       "on": await account.today(), **fields})  # fmt: skip
    return await account.case_handle().execute_update(RECORD_CASE_STEP, command, result_type=CaseState)


def case_tasks(account: Account) -> list[tuple[str, str]]:
    with Store.open(account.database_url) as store:
        rows = [row for row in store.tasks(account.id) if row.kind == "legal_case"]
    return [(row.step.split(":", 1)[1], row.state) for row in rows if row.step]


async def test_a_payment_order_to_enforcement_with_payments_then_paid_closes_account_and_case(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with Account(time_env, tmp_path) as account:
        case = await handed_over(account)
        assert (case.case_id, case.currency, case.claimed) == (f"CASE-{account.id}-evt-1", "CNY", case.claimed)
        assert case_tasks(account) == [("01-filing", "open")]
        await step(account, "filed", route="payment_order", court="上海市浦东新区人民法院")
        await account.days(3)
        await step(account, "payment_order_served")
        await account.days(16)  # the objection window passes unopposed
        case = await account.case_handle().query(CASE_STATUS, result_type=CaseState)
        assert case.stage == "enforcement_application" and case.judgment and case.judgment.source == "payment_order"
        assert case_tasks(account) == [("01-filing", "done"), ("02-payment-order", "done"), ("04-apply", "open")]
        status = await eventually(account.status, lambda s: s.legal_case.stage == "enforcement_application")
        assert status.stage == "with_legal"
        assert status.legal_case.next_deadline == case.enforcement_deadline
        await step(account, "enforcement_applied", reference="(2027)执1号")
        await account.pay("p-enforced-1", "20000.00")  # the court collects part
        await account.days(1)
        status = await eventually(account.status, lambda s: s.legal_case.stage == "enforcement")
        assert status.outcome is None
        owed = sum(balance.amount for balance in status.balances)
        await account.pay("p-enforced-2", str(owed))
        result = await account.handle.result()
        case = await account.case_handle().result()
        await account.days(1)
        with Store.open(account.database_url) as store:
            row = store.case(case.case_id)

    assert result.outcome == "paid"
    assert (case.stage, case.outcome) == ("closed", "paid")
    assert [entry.step for entry in case.history] == [
        "filed", "payment_order_served", "effective", "enforcement_applied", "account closed"]  # fmt: skip
    assert row is not None and (row.state, row.outcome, row.stage) == ("closed", "paid", "closed")
    assert "payment_order_served" in (row.history or "")


async def test_costs_awarded_are_owed_the_enforcement_deadline_is_reminded_and_uncollectable_asks_a_write_off(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with Account(time_env, tmp_path) as account:
        await handed_over(account)
        await step(account, "filed", route="lawsuit")
        [before] = (await account.status()).balances
        await step(account, "judgment", amount_awarded="60000.00", costs_awarded="1750.00", currency="CNY")
        await account.days(1)
        status = await eventually(account.status, lambda s: s.legal_case.stage == "appeal_window")
        [after] = status.balances
        assert after.fees - before.fees == Decimal("1750.00")  # a cost item, paid first
        assert any("court costs 1750.00 CNY owed by the debtor" in entry.detail for entry in status.history)
        await account.days(16)  # no appeal: the judgment is effective, two years to apply for enforcement
        case = await account.case_handle().query(CASE_STATUS, result_type=CaseState)
        assert case.stage == "enforcement_application"
        await account.days(2 * 366)
        case = await account.case_handle().query(CASE_STATUS, result_type=CaseState)
        assert case.lapsed
        assert [key for key, _ in case_tasks(account)] == [
            "01-filing",
            "02-lawsuit",
            "04-apply",
            "04-reminder-90",
            "04-reminder-30",
            "04-reminder-7",
            "04-lapsed",
        ]
        await step(account, "close", outcome="uncollectable", note="no assets found")
        await account.days(1)
        status = await eventually(account.status, lambda s: bool(s.pending_approvals))
        [pending] = status.pending_approvals
        assert pending.step == "write-off-1" and pending.about == f"legal case {case.case_id} uncollectable"
        approval = ApprovalDecision(command_id="wo", by="boss", step=pending.step, reason="ok",
                                    approver_level="general_manager")  # fmt: skip
        await account.handle.execute_update(APPROVE_ACTION, approval, result_type=AccountStatus)
        result = await account.result(timedelta(days=1))

    assert result.outcome == "written_off"
    assert any(a.subject == WRITE_OFF and a.state == "approved" for a in result.approvals)
