"""Every account command over HTTP, on a real worker: its effect in the returned status, validator rejections with
their reason (422), unknown accounts (404) and closed ones (409)."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import Api, utc_today

pytestmark = pytest.mark.integration


def days(n: int) -> str:
    """A date n days from today in the accounts' calendar (UTC, see Api.event)."""
    return (utc_today() + timedelta(days=n)).isoformat()


async def test_a_promise_returns_the_status_and_a_repeat_of_its_id_applies_once(api: Api) -> None:
    account = await api.open_account()
    promise = {"amount": "5000.00", "currency": "CNY", "promised_date": days(5)}

    response = await api.post(f"/v1/accounts/{account}/promises", json=promise)

    assert response.status_code == 200, response.text
    command_id = response.headers["X-Command-Id"]
    assert command_id.startswith("api-")
    [taken] = response.json()["promises"]
    assert (taken["promise_id"], taken["state"], taken["taken_by"]) == (command_id, "open", "wang.fang")

    again = await api.post(f"/v1/accounts/{account}/promises", json=promise | {"command_id": command_id})
    assert again.status_code == 200 and len(again.json()["promises"]) == 1

    second = await api.post(f"/v1/accounts/{account}/promises", "collector", json=promise)
    assert second.status_code == 422
    assert second.json() == {"detail": "already 1 open promise(s) (policy)"}


async def test_an_installment_plan_and_one_that_does_not_cover_the_balance(api: Api) -> None:
    account = await api.open_account()
    short = {
        "currency": "CNY",
        "installments": [{"amount": "4000.00", "due_date": days(5)}, {"amount": "4000.00", "due_date": days(35)}],
    }
    response = await api.post(f"/v1/accounts/{account}/installment-plans", json=short)
    assert response.status_code == 422
    assert response.json()["detail"] == "installments sum to 8000.00, the balance is 12000.00 CNY"

    installment_plan = {
        "currency": "CNY",
        "installments": [{"amount": "6000.00", "due_date": days(5)}, {"amount": "6000.00", "due_date": days(20)}],
    }
    response = await api.post(f"/v1/accounts/{account}/installment-plans", "collector", json=installment_plan)
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["installment_plan"]["state"] == "active" and len(status["installment_plan"]["installments"]) == 2
    assert status["held"]


async def test_a_dispute_and_its_resolution(api: Api) -> None:
    account = await api.open_account()
    response = await api.post(
        f"/v1/accounts/{account}/disputes",
        json={"reason": "goods damaged", "invoice_ids": ["INV-1"], "command_id": "d-1"},
    )
    assert response.status_code == 200, response.text
    assert [(d["dispute_id"], d["state"]) for d in response.json()["disputes"]] == [("d-1", "open")]

    resolution = {"resolution": "upheld", "adjustment": "100.00", "note": "two boxes"}
    response = await api.post(f"/v1/accounts/{account}/disputes/d-1/resolution", json=resolution)
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["disputes"][0]["state"] == "upheld"
    assert [(b["currency"], b["amount"]) for b in status["balances"]] == [("CNY", "11900.00")]

    response = await api.post(f"/v1/accounts/{account}/disputes/d-1/resolution", json={"resolution": "rejected"})
    assert (response.status_code, response.json()) == (422, {"detail": "dispute d-1 is already upheld"})


async def test_pause_resume_write_off_and_then_the_account_is_closed(api: Api) -> None:
    account = await api.open_account()
    until = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    response = await api.post(f"/v1/accounts/{account}/pause", json={"reason": "hospital", "until": until})
    assert response.status_code == 200, response.text
    [pause] = response.json()["pauses"]
    assert pause["ended_at"] is None and response.json()["held"]

    response = await api.post(f"/v1/accounts/{account}/resume", json={})
    assert response.status_code == 200, response.text
    assert response.json()["pauses"][0]["ended_at"] is not None

    response = await api.post(f"/v1/accounts/{account}/resume", json={})
    assert (response.status_code, response.json()) == (422, {"detail": "the account is not paused"})

    response = await api.post(f"/v1/accounts/{account}/write-off", json={"reason": "uneconomic"})
    assert response.status_code == 200, response.text
    [pending] = response.json()["pending_approvals"]  # seed 000: a write-off waits for approval (a manager's)
    assert (pending["step"], pending["needed"], pending["requested_by"]) == ("write-off-1", "manager", "wang.fang")
    approve = f"/v1/accounts/{account}/approvals/write-off-1/approve"
    response = await api.post(approve, "supervisor", json={"reason": "mine"})
    assert response.status_code == 403 and "needs a manager or above" in response.json()["detail"]
    response = await api.post(approve, "manager", json={"reason": "agreed"})
    assert response.status_code == 200, response.text
    final = await api.status_until(account, lambda s: s["outcome"] is not None)
    assert (final["outcome"], final["stage"]) == ("written_off", "closed")

    for path, body in (
        ("resume", {}),
        ("bankruptcy", {}),
        ("payments", {"payment_id": "P-1", "amount": "1.00", "currency": "CNY"}),
    ):
        response = await api.post(f"/v1/accounts/{account}/{path}", json=body)
        assert response.status_code == 409, (path, response.text)
        assert "is closed" in response.json()["detail"]


async def test_payments_contacts_legal_outcome_and_bankruptcy(api: Api) -> None:
    account = await api.open_account()
    payment = {"payment_id": "PAY-1", "amount": "2000.00", "currency": "CNY"}
    response = await api.post(f"/v1/accounts/{account}/payments", "ops-key", json=payment)
    assert response.status_code == 202, response.text
    assert response.json() == {
        "account_id": account,
        "message": "payment_received",
        "command_id": None,
        "payment_id": "PAY-1",
    }
    status = await api.status_until(account, lambda s: s["payments"])
    assert [(b["currency"], b["amount"]) for b in status["balances"]] == [("CNY", "10000.00")]

    response = await api.post(
        f"/v1/accounts/{account}/contact-outcomes",
        "supervisor",
        json={"channel": "phone", "result": "no_answer", "command_id": "call-1"},
    )
    assert (response.status_code, response.headers["X-Command-Id"]) == (202, "call-1")
    assert (await api.status_until(account, lambda s: s["contact_failures"]))["contact_failures"] == {"phone": 1}

    response = await api.post(f"/v1/accounts/{account}/contact", json={})
    assert (response.status_code, response.json()) == (422, {"detail": "give a new phone, email or postal address"})
    response = await api.post(f"/v1/accounts/{account}/contact", "collector", json={"phone": "+8613900000000"})
    assert response.status_code == 200, response.text
    assert any("update_contact by li.na: phone +8613900000000" in h["detail"] for h in response.json()["history"])

    response = await api.post(f"/v1/accounts/{account}/legal-outcome", json={"outcome": "settled"})
    assert response.status_code == 202, response.text
    status = await api.status_until(account, lambda s: any("legal_outcome" in h["detail"] for h in s["history"]))
    assert any("legal_outcome settled ignored: the account is not with legal" in h["detail"] for h in status["history"])

    response = await api.post(f"/v1/accounts/{account}/bankruptcy", json={"case_reference": "(2026)沪03破1号"})
    assert response.status_code == 202, response.text
    final = await api.status_until(account, lambda s: s["outcome"] is not None)
    assert final["outcome"] == "bankrupt" and final["bankruptcy"]["case_reference"] == "(2026)沪03破1号"


async def test_a_pending_approval_is_rejected_and_unknown_steps_are_refused(api: Api) -> None:
    # A write-off of 60,000 waits for the general manager (the standard matrix: from 50,000; seed 000).
    account = await api.open_account(amount="60000.00")
    response = await api.post(f"/v1/accounts/{account}/write-off", json={"reason": "debtor dissolved"})
    assert [p["step"] for p in response.json()["pending_approvals"]] == ["write-off-1"]

    response = await api.post(
        f"/v1/accounts/{account}/approvals/d105-open_litigation_task/approve", json={"reason": "go"}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("no approval request for d105-open_litigation_task")

    reject = f"/v1/accounts/{account}/approvals/write-off-1/reject"
    response = await api.post(reject, "manager", json={"reason": "settlement talks"})
    assert response.status_code == 403, response.text
    assert response.json()["detail"] == (
        "write-off-1 needs a general_manager or above (supervisor, manager, general_manager); zhao.lei is a manager"
    )
    response = await api.post(reject, "supervisor-key", json={"reason": "a machine"})
    assert response.status_code == 403 and "supervisor-key is not an approver" in response.json()["detail"]
    response = await api.post(reject, "general_manager", json={"reason": "settlement talks"})
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["pending_approvals"] == []
    [decided] = [a for a in status["approvals"] if a["step"] == "write-off-1"]
    assert (decided["state"], decided["decided_by"]) == ("rejected", "chen.jie")


async def test_unknown_accounts_and_malformed_bodies(api: Api) -> None:
    missing = "NOPE-404"
    assert (await api.get(f"/v1/accounts/{missing}")).status_code == 404
    response = await api.post(f"/v1/accounts/{missing}/write-off", json={"reason": "x"})
    assert (response.status_code, response.json()) == (404, {"detail": f"no collection workflow for account {missing}"})
    response = await api.post(
        f"/v1/accounts/{missing}/payments", "ops-key", json={"payment_id": "P-1", "amount": "1.00", "currency": "CNY"}
    )
    assert response.status_code == 404

    response = await api.post(
        f"/v1/accounts/{missing}/promises", json={"amount": "abc", "currency": "CNY", "promised_date": days(3)}
    )
    assert response.status_code == 422
    assert "malformed amount 'abc'" in str(response.json()["detail"])
    response = await api.post(f"/v1/accounts/{missing}/disputes/bad id!/resolution", json={"resolution": "upheld"})
    assert response.status_code == 422


async def test_an_id_reused_for_other_content_is_a_conflict_and_future_dates_are_refused(api: Api) -> None:
    """Issue 13, item 9: the same id with other content was answered 202/200 and silently dropped."""
    account = await api.open_account()
    payment = {"payment_id": "PAY-9", "amount": "10.00", "currency": "CNY"}
    assert (await api.post(f"/v1/accounts/{account}/payments", "ops-key", json=payment)).status_code == 202
    await api.status_until(account, lambda s: s["payments"])
    repeat = await api.post(f"/v1/accounts/{account}/payments", "ops-key", json=payment)  # received_at: now again
    assert repeat.status_code == 202, repeat.text
    other = await api.post(f"/v1/accounts/{account}/payments", "ops-key", json=payment | {"amount": "900.00"})
    assert (other.status_code, other.json()) == (
        409, {"detail": "payment id PAY-9 was already used for a different payment on this account"},
    )  # fmt: skip

    dispute = await api.post(f"/v1/accounts/{account}/disputes", json={"reason": "damaged", "command_id": "cmd-9"})
    assert dispute.status_code == 200, dispute.text
    pause = {"reason": "holiday", "until": (datetime.now(UTC) + timedelta(days=3)).isoformat(), "command_id": "cmd-9"}
    conflict = await api.post(f"/v1/accounts/{account}/pause", json=pause)
    assert conflict.status_code == 409
    assert conflict.json()["detail"] == "command id cmd-9 was already used for a different command (open_dispute)"
    signal = await api.post(f"/v1/accounts/{account}/bankruptcy", json={"command_id": "cmd-9"})
    assert signal.status_code == 409, signal.text

    ahead = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    late = await api.post(f"/v1/accounts/{account}/payments", "ops-key", json=payment | {"payment_id": "P2",
                                                                                     "received_at": ahead})  # fmt: skip
    assert late.status_code == 422 and "received_at" in late.json()["detail"]
    far = await api.post(f"/v1/accounts/{account}/payments", "ops",
                         json=payment | {"payment_id": "P3", "received_at": "9999-12-31T00:00:00Z"})  # fmt: skip
    assert far.status_code == 422 and "outside 1970-01-01 to 2100-12-31" in far.text
    status = await api.status(account)
    assert [p["payment_id"] for p in status["payments"]] == ["PAY-9"] and status["bankruptcy"] is None
