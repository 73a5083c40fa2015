"""An account before its due date under the time-skipping server: invoice.issued opens it, the pre-due steps of the
standard ladder go out at the policy's hour, and the billing system's invoice.paid, invoice.overdue and
invoice.cancelled events re-route it."""

from collections.abc import AsyncIterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.contact_window import is_holiday
from tests.workflows.harness import Account

SHANGHAI = ZoneInfo("Asia/Shanghai")


def working_day(day: date) -> bool:
    """Letters keep office hours (Monday to Friday, not on a public holiday): a day the ladder acts on at once."""
    return day.isoweekday() <= 5 and not is_holiday(day, "CN")


async def open_20_days_before_the_due_date(env: WorkflowEnvironment, account: Account) -> date:
    """Open the account by invoice.issued at 10:00 Shanghai, 20 days before its due date, on a day from which days
    -15 and -7 are working days (the time-skipping clock starts wherever the previous test left it)."""
    while True:
        local = (await env.get_current_time()).astimezone(SHANGHAI)
        start = local.date() if local.time() < time(10) else local.date() + timedelta(days=1)
        if working_day(start + timedelta(days=5)) and working_day(start + timedelta(days=13)):
            break
        await env.sleep(timedelta(days=1))
    due = start + timedelta(days=20)
    await account.open(event_type="invoice.issued", due_date=due)
    return due


@pytest.fixture
async def account(time_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Account]:
    async with Account(time_env, tmp_path) as running:
        yield running


async def test_issued_at_day_minus_20_gets_the_confirmation_and_the_reminder_then_a_payment_closes_it(
    time_env: WorkflowEnvironment, account: Account
) -> None:
    due = await open_20_days_before_the_due_date(time_env, account)
    status = await account.status()
    assert (status.stage, status.days_past_due, status.outstanding) == ("pre_due", -20, 12000)
    assert status.next_action is not None and status.next_action.step == "d-15-send_confirmation_letter"
    await account.days(18)  # 10:00 on day -2
    assert (await account.status()).days_past_due == -2
    await account.days(1)  # day -1
    await account.pay("PAY-1", "12000.00")
    result = await account.result()
    assert result.outcome == "paid" and result.history[-1].detail.startswith("paid: every invoice is paid in full")
    records = account.delivered()
    assert [(r["step"], r["kind"], r["day"]) for r in records] == [
        ("d-15-send_confirmation_letter", "letter", -15),
        ("d-07-send_email", "email", -7),
    ], "nothing overdue was ever sent"
    for record, before in zip(records, (15, 7), strict=True):
        planned = datetime.fromisoformat(record["planned_at"]).astimezone(SHANGHAI)
        assert (planned.date(), f"{planned:%H:%M}") == (due - timedelta(days=before), "09:00"), record["step"]
    assert records[0]["subject"] == f"账款确认函 – {account.id}"  # the debtor's locale: zh-CN
    assert not [h for h in result.history if h.kind == "skipped"]


async def test_an_overdue_event_for_an_issued_invoice_is_known_and_changes_nothing(account: Account) -> None:
    today = await account.today()
    assert await account.send(event_type="invoice.issued", due_date=today + timedelta(days=3)) == "started"
    await account.days(4)  # a day past due
    before = await account.status()
    overdue = {"event_id": "evt-2", "due_date": today + timedelta(days=3)}
    assert await account.send(**overdue) == "known"
    assert await account.send(**overdue) == "duplicate"
    after = await account.status()
    assert after.invoices == before.invoices and after.balances == before.balances
    assert after.history[:-2] == before.history and after.payments == before.payments
    assert [h.detail for h in after.history[-2:]] == [
        "event evt-2 (invoice.overdue): invoice INV-1 already on the account: nothing to do",
        "event evt-2 delivered again: ignored",
    ]
    assert await account.send(event_id="evt-3", amount="1.00", due_date=today + timedelta(days=3)) == "known"


async def test_invoice_cancelled_closes_the_account_as_cancelled_and_an_event_for_a_closed_one_is_refused(
    account: Account,
) -> None:
    today = await account.today()
    assert await account.send(event_type="invoice.issued", due_date=today + timedelta(days=20)) == "started"
    assert (
        await account.bill("invoice.paid", invoice_id="INV-9") == f"rejected: no invoice INV-9 on account {account.id}"
    )
    assert await account.bill("invoice.cancelled", event_id="evt-c1", reason="order withdrawn") == "applied"
    result = await account.result(timedelta(days=1))
    assert await account.bill("invoice.paid", event_id="evt-late") == f"rejected: no open account {account.id}"
    assert result.outcome == "cancelled"
    assert [i.outstanding for i in result.invoices] == [0] and not result.payments
    assert "invoice INV-1 principal reduced by 12000.00 CNY to 0.00; order withdrawn" in result.history[-2].detail
    assert not account.delivered()
