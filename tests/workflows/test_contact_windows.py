"""Contact windows in the workflow: each debtor is reached at permitted times in their own timezone."""

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from temporalio.testing import WorkflowEnvironment

from domain.commands import CeaseCommunication
from domain.contact_rules import Window
from domain.contact_window import next_permitted
from tests.workflows.harness import BOOK, Account
from workflows import CEASE_COMMUNICATION

# Workflow time, not wall time: a timer's workflow task runs a fraction of a second after its due moment.
TIMER_SLACK = timedelta(seconds=5)


async def first_sms(env: WorkflowEnvironment, outbox: Path, timezone: str, country: str) -> tuple[datetime, dict]:
    """Open an account at 10:00 Shanghai time, one day past due in the debtor's timezone; its day-1 SMS."""
    async with Account(env, outbox, book=BOOK) as account:  # the real calendars
        await account.open(timezone=timezone, locale="en", country=country)
        opened = (await account.status()).history[0].at
        await account.days(2)
        return opened, account.sent("d001-send_sms") | {"history": (await account.status()).history}


async def test_new_york_and_shanghai_debtors_get_their_day_one_sms_at_their_own_permitted_times(
    time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    for timezone, country in (("America/New_York", "US"), ("Asia/Shanghai", "CN")):
        zone = ZoneInfo(timezone)
        opened, sms = await first_sms(time_env, tmp_path / timezone.replace("/", "-"), timezone, country)
        sent_at = datetime.fromisoformat(sms["planned_at"])
        # 10:00 in Shanghai is 21:00 or 22:00 the evening before in New York: outside 08:00-21:00 there.
        assert abs(sent_at - next_permitted(opened, Window(), zone, country)) < TIMER_SLACK, timezone
        assert time(8, 0) <= sent_at.astimezone(zone).time() < time(21, 0)
        if timezone == "America/New_York":
            assert sent_at.astimezone(zone).time().replace(microsecond=0) == time(8, 0)
            deferral = next(h.detail for h in sms["history"] if h.kind == "deferred" and h.step == "d001-send_sms")
            assert "local is outside 08:00-21:00" in deferral or "public holiday" in deferral
        else:
            assert sent_at - opened < TIMER_SLACK or sent_at.astimezone(zone).hour == 8  # unless a holiday


async def test_a_cease_communication_request_stops_all_contact(time_env: WorkflowEnvironment, tmp_path: Path) -> None:
    async with Account(time_env, tmp_path) as account:
        await account.open()
        status = await account.update(CEASE_COMMUNICATION, CeaseCommunication, reason="debtor asked in writing")
        assert "cease-communication request" in status.held
        await account.days(60)
        assert account.steps() == ["d001-send_sms"]  # no email, letter or call after the request
