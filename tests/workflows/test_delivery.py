"""A letter followed to its delivery through the real workflow (rules 6; the rules in tests/domain/test_delivery.py):
the mailroom's tracking number and the courier's report arrive as `letter_delivery` signals, the status shows the
letter delivered and the limitation period restarted from that day, and a returned final notice raises a skip trace."""

import base64
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.senders import HttpSettings
from domain.commands import LetterDelivery
from store.db import make_engine
from store.repository import Store
from tests.channels import gateway as courier
from tests.channels.gateway import Gateway, Reply
from tests.workflows.harness import Account
from workflows import LETTER_DELIVERY

gateway = courier.gateway  # the local HTTP provider's fixture: here, a courier's API
DEMAND, NOTICE = "d031-send_demand_letter", "d075-send_final_notice"


@pytest.fixture
async def account(time_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Account]:
    async with Account(time_env, tmp_path) as unopened:
        yield unopened


async def test_a_demand_letter_posted_then_delivered_restarts_the_limitation_period(account: Account) -> None:
    await account.open(days_past_due=31)
    await account.days(1 / 24)
    status = await account.status()
    assert [(letter.step, letter.status) for letter in status.letters] == [(DEMAND, "queued")]
    before = status.limitation_date
    sent = status.letters[0].sent_at
    await account.signal(LETTER_DELIVERY, LetterDelivery, event="posted", tracking_number="EMS0001CN", step=DEMAND,
                         at=sent + timedelta(hours=6))  # fmt: skip
    await account.days(3)
    delivered_at = sent + timedelta(days=3)
    await account.signal(LETTER_DELIVERY, LetterDelivery, event="delivered", tracking_number="EMS0001CN",
                         at=delivered_at, proof_ref="SCAN-1")  # fmt: skip
    await account.signal(LETTER_DELIVERY, LetterDelivery, event="delivered", tracking_number="EMS0001CN",
                         at=delivered_at + timedelta(days=1))  # the courier's webhook, again  # fmt: skip
    await account.days(1 / 24)
    status = await account.status()
    [letter] = [letter for letter in status.letters if letter.step == DEMAND]
    assert (letter.status, letter.tracking, letter.at, letter.proof_ref) == ("delivered", "EMS0001CN", delivered_at,
                                                                             "SCAN-1")  # fmt: skip
    day = delivered_at.astimezone(ZoneInfo(status.timezone or "UTC")).date()
    assert status.limitation_date == day.replace(year=day.year + 3) != before  # from its delivery, not the due date


async def test_a_returned_final_notice_raises_a_skip_trace(account: Account) -> None:
    await account.open(days_past_due=75)
    await account.days(15)
    status = await account.status()
    notice = next(letter for letter in status.letters if letter.step == NOTICE)
    await account.signal(LETTER_DELIVERY, LetterDelivery, event="returned", tracking_number="SF-77", step=NOTICE,
                         at=notice.sent_at + timedelta(hours=12), reason="moved away")  # fmt: skip
    await account.days(1)
    status = await account.status()
    assert next(letter for letter in status.letters if letter.step == NOTICE).status == "returned"
    trace = next(h for h in status.history if h.step == f"skip-trace-{NOTICE}")
    assert trace.kind == "action" and "create_skip_trace_task" in trace.detail


async def test_the_legal_package_lists_each_letter_with_its_tracking_and_proof(account: Account) -> None:
    await account.open()
    await account.days(31)
    sent = next(letter for letter in (await account.status()).letters if letter.step == DEMAND).sent_at
    await account.signal(LETTER_DELIVERY, LetterDelivery, event="delivered", tracking_number="EMS0002CN", step=DEMAND,
                         at=sent + timedelta(days=2), proof_ref="SCAN-2")  # fmt: skip
    await account.approve_until("with_legal")
    [case] = Store(make_engine(account.database_url)).cases()
    letters = {letter["step"]: letter for letter in json.loads(case.package)["letters"]}
    assert list(letters) == [DEMAND, NOTICE, "d091-issue_lawyer_letter"]
    assert (letters[DEMAND]["status"], letters[DEMAND]["tracking"], letters[DEMAND]["proof_ref"]) == (
        "delivered", "EMS0002CN", "SCAN-2"
    )  # fmt: skip
    assert letters[NOTICE]["status"] == "queued" and letters[NOTICE]["tracking"] is None


async def test_a_letter_posted_through_the_couriers_api_is_in_transit_under_its_number(
    time_env: WorkflowEnvironment, tmp_path: Path, gateway: Gateway
) -> None:
    step = lambda request: request.body["reference"].rsplit("/", 1)[-1]  # noqa: E731
    gateway.decide = lambda request: Reply(200, {"tracking_number": "EMS-" + step(request)[:4]})
    courier = HttpSettings(url=gateway.url, auth_header_value="Bearer c0urier", timeout_seconds=2)
    async with Account(time_env, tmp_path, courier=courier) as account:
        await account.open(days_past_due=31)
        await account.days(1 / 24)
        status = await account.status()
    [letter] = status.letters
    assert (letter.step, letter.status, letter.tracking, letter.posted_at) == (DEMAND, "in_transit", "EMS-d031",
                                                                              letter.sent_at)  # fmt: skip
    [request] = gateway.requests
    assert request.body["address"]["city"] == "上海市" and request.body["reference"].endswith(DEMAND)
    assert base64.b64decode(request.body["pdf_base64"]).startswith(b"%PDF")
