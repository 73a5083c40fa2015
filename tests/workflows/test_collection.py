"""CollectionWorkflow under the time-skipping server, one workflow at a time (see STYLE.md pitfalls)."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from domain.commands import LegalOutcome
from store.db import make_engine
from store.repository import Store
from tests.domain.test_planner import STANDARD_LADDER
from tests.workflows.harness import Account
from workflows import LEGAL_OUTCOME

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_full_ladder_sends_exactly_the_expected_messages_on_the_right_days(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    account = Account(time_env, tmp_path)
    async with account:
        await account.open()  # 10:00 in Shanghai: started late in the day, day 1 would wait for the next morning
        status = await account.approve_until("with_legal")
        await account.pay("PAY-LEGAL", "1000.00")  # payments are still recorded while legal has the case
        await account.signal(LEGAL_OUTCOME, LegalOutcome, outcome="judgment", note="judgment for the full amount")
        result = await account.result(timedelta(days=1))
    store = Store(make_engine(account.database_url))
    [case] = store.cases()
    package = json.loads(case.package)
    sent = {m.idempotency_key for m in store.messages(account.id) if m.status == "sent"}
    logged = {row["idempotency_key"] for row in package["contact_log"] if row["result"] == "sent"}
    assert sent == logged and len(sent) == len(account.delivered()), "every contact made is in the package"
    # The letters, and between them the draft the law firm got, then the letter it issued.
    assert [d["filename"] for d in package["documents"]] == [
        "d031-send_demand_letter.pdf", "d075-send_final_notice.pdf", "firm-draft-d091-issue_lawyer_letter.pdf",
        "d091-issue_lawyer_letter.pdf",
    ]  # fmt: skip
    assert package["contracts"] == ["C-2026-001"] and package["debtor"]["name"] == "上海明达贸易有限公司"
    assert package["amounts"]["CNY"]["owed"] == "12000.00" and "105 days past due" in package["reason"]
    exported = tmp_path / "legal" / case.case_id
    assert (exported / "documents" / "d031-send_demand_letter.pdf").read_bytes().startswith(b"%PDF")
    assert (exported.parent / f"{case.case_id}.zip").exists()
    assert status.with_legal_since is not None and status.outcome is None
    assert result.outcome == "judgment"
    assert [(b.currency, str(b.amount)) for b in result.balances] == [("CNY", "11000.00")]
    records = [r for r in account.delivered() if r["step"].startswith("d")]
    assert [(r["step"], r["day"]) for r in records] == STANDARD_LADDER
    due = result.invoices[0].due_date
    for record in records:
        local_day = datetime.fromisoformat(record["planned_at"]).astimezone(SHANGHAI).date()
        assert (local_day - due).days == record["day"], record["step"]
    kinds = [
        "sms",
        "email",
        "sms",
        "email",
        "letter",
        "task",
        "sms",
        "task",
        "task",
        "letter",
        "task",
        "letter",
        "task",
    ]
    assert [r["kind"] for r in records] == kinds
    assert {r["idempotency_key"] for r in records} == {
        f"collection-{account.id}/evt-1/{step}" for step, _ in STANDARD_LADDER
    }
    assert records[-1]["assignee_role"] == "legal"
    requests = [r["step"] for r in account.delivered() if r["action"] == "request_approval"]
    # Seed 002: the boss consents to the order lock and the lawyer's letter; the standard policy's matrix sends them,
    # and litigation, straight to the general manager (level 2).
    assert requests == [f"approval-{step}-L2" for step in ("d090-lock_new_orders", "d091-issue_lawyer_letter",
                                                            "d105-open_litigation_task")]  # fmt: skip
    assert not [r for r in account.delivered() if r["action"] == "notify_overdue_task"], "every task was done in time"


async def test_payment_on_day_40_closes_the_account_and_nothing_is_sent_after(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    account = Account(time_env, tmp_path)
    async with account:
        await account.send()
        await time_env.sleep(timedelta(days=39))
        assert (await account.status()).days_past_due == 40
        await account.pay("PAY-40", "12000.00")
        result = await account.result()
    assert result.outcome == "paid"
    ladder = [step for step, day in STANDARD_LADDER if day <= 35]
    # Nobody did the day-35 call, due day 37: the chain heard of it, one level a day, until the payment came.
    notices = [f"work-d035-create_call_task-overdue-{n}" for n in (1, 2, 3)]
    assert [r["step"] for r in account.delivered()] == ladder + notices
    assert [account.sent(n)["assignee_role"] for n in notices] == ["supervisor", "manager", "general_manager"]
    assert [account.sent(n)["day"] for n in notices] == [37, 38, 39]
    assert "was due" in account.sent(notices[0])["text"] and "collector call" in account.sent(notices[0])["text"]
    assert result.history[-1].kind == "closed" and result.history[-1].detail.startswith("paid")
    store = Store(make_engine(account.database_url))
    call = next(t for t in store.tasks(account.id) if t.step == "d035-create_call_task")
    assert call.state == "cancelled" and call.outcome.startswith("account closed: paid")


async def test_second_invoice_joins_and_duplicate_events_are_ignored(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    account = Account(time_env, tmp_path)
    async with account:
        assert await account.send() == "started"
        assert await account.send(event_id="evt-2", invoice_id="INV-2", amount="500.00") == "joined"
        assert await account.send(event_id="evt-2", invoice_id="INV-2", amount="500.00") == "duplicate"
        assert await account.send(event_id="evt-3", invoice_id="INV-1") == "known"  # a new event, a known invoice
        assert await account.send() == "duplicate"
        status = await account.status()
        assert [i.invoice_id for i in status.invoices] == ["INV-1", "INV-2"]
        assert [(b.currency, str(b.amount)) for b in status.balances] == [("CNY", "12500.00")]
        assert [h.kind for h in status.history].count("duplicate") == 3
        await account.pay("PAY-1", "12500.00")
        assert (await account.result()).outcome == "paid"
    assert len({r["idempotency_key"] for r in account.delivered()}) == len(account.delivered())


async def test_partial_payment_lowers_the_balance_and_the_ladder_goes_on(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    account = Account(time_env, tmp_path)
    async with account:
        await account.send()
        await time_env.sleep(timedelta(days=5))
        await account.pay("PAY-1", "2000.00")
        await account.pay("PAY-1", "2000.00")  # redelivered: once
        await time_env.sleep(timedelta(days=27))  # day 1 + 5 + 27 = day 33
        status = await account.status()
    assert status.days_past_due == 33
    assert [(b.currency, str(b.amount)) for b in status.balances] == [("CNY", "10000.00")]
    assert status.stage == "formal_demand"
    assert [r["step"] for r in account.delivered()] == [step for step, day in STANDARD_LADDER if day <= 31]


async def test_status_query_shows_stage_balances_next_action_and_history(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    account = Account(time_env, tmp_path)
    async with account:
        await account.send()
        await time_env.sleep(timedelta(days=32))
        status = await account.status()
    assert status.account_id == account.id and status.workflow_id == f"collection-{account.id}"
    assert (status.stage, status.days_past_due, status.outcome) == ("formal_demand", 33, None)
    assert status.policy == "standard v1" and status.segment == "standard"
    assert status.oldest_due_date == status.invoices[0].due_date
    assert status.next_action is not None and status.next_action.step == "d035-create_call_task"
    assert status.next_action.at is not None
    next_local = status.next_action.at.astimezone(SHANGHAI)
    assert (next_local.date() - status.oldest_due_date).days == 35 and next_local.hour == 9
    actions = [h for h in status.history if h.kind == "action"]
    assert [h.step for h in actions] == [step for step, day in STANDARD_LADDER if day <= 31]
    assert all(h.idempotency_key == f"collection-{account.id}/evt-1/{h.step}" for h in actions)
    assert "send_demand_letter to" in actions[-1].detail
    text = status.describe()
    assert "formal_demand, 33 days past due" in text and "d035-create_call_task" in text


async def test_interest_fees_and_allocation_survive_the_workflow(time_env: WorkflowEnvironment, tmp_path: Path) -> None:
    """The commercial policy end to end: the stage fee, interest to the day, a payment's allocation, then
    the account closes only once interest and fees are paid as well."""
    account = Account(time_env, tmp_path)
    async with account:
        await account.open(segment="commercial")
        await time_env.sleep(timedelta(days=39))  # day 40: in formal_demand since day 31
        await account.pay("PAY-1", "500.00")
        status = await account.status()
        assert [(f.charge_id, str(f.amount), str(f.paid)) for f in status.fees] == [
            ("fee-formal_demand-CNY", "100.00", "100.00")
        ]
        # 12000 x 4.5% / 365 x 40 days = 59.18 of interest, paid after the fee; the rest is principal.
        allocations = [(a.part, str(a.amount)) for a in status.payments[0].allocations]
        assert allocations == [("costs", "100.00"), ("interest", "59.18"), ("principal", "340.82")]
        balance = status.balances[0]
        assert (str(balance.principal), str(balance.interest), str(balance.fees)) == ("11659.18", "0.00", "0.00")
        await time_env.sleep(timedelta(days=10))
        status = await account.status()
        assert str(status.balances[0].interest) == "14.37"  # 11659.18 x 4.5% / 365 x 10
        await account.pay("PAY-2", "11659.18")  # the principal, but interest came first
        status = await account.status()
        assert status.outcome is None and str(status.balances[0].amount) == "14.37"
        await account.pay("PAY-3", "14.37")
        assert (await account.result()).outcome == "paid"
