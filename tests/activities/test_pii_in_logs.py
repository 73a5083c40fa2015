"""The worker's logs carry no debtor contact details. A provider's refusal names the recipient: the SMTP refusal of
an email put the debtor's address in the JSON line's `exception`. Here the real activities meet real providers on
loopback, and their failure is logged as the SDK logs a failed activity."""

import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from activities.channels import FileChannel
from activities.collection import CollectionActivities
from activities.legal_case import LegalDesk
from activities.routing import Channels
from activities.senders import EmailSender, SmsHttpSettings, SmsSender
from domain.actions import ActionRequest
from domain.kinds import ActionKind
from domain.policy_book import PolicyBook
from observability import JsonFormatter, RedactingFormatter
from store.repository import Store
from tests.channels.gateway import Gateway
from tests.channels.smtp import Mailbox
from tests.domain.simulate import open_account, simulate
from tests.factories import example_renderer

EMAIL, PHONE = "finance@mingda.example.com", "+8613800000000"  # the debtor of tests.factories


def first(action: ActionKind) -> ActionRequest:
    opened = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # a working day in Shanghai
    state = open_account(PolicyBook().for_segment("standard"), opened)
    return next(r for r in simulate(state, opened, opened + timedelta(days=5)).requests if r.action == action)


def logged_failure(formatter: logging.Formatter, run: Callable[[], object]) -> str:
    """What the worker's log handler writes when the activity fails (the SDK's own call, in its own logger)."""
    stream, logger = io.StringIO(), logging.getLogger("temporalio.activity")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger.addHandler(handler)
    try:
        run()
    except Exception:
        logger.warning("Completing activity as failed", exc_info=True)
    else:
        pytest.fail("the activity did not fail")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


@pytest.fixture
def debtor_channels(
    store: Store, tmp_path: Path, smtp_server, gateway: Gateway
) -> Iterator[tuple[CollectionActivities, Mailbox, Gateway]]:
    mailbox, smtp = smtp_server()
    sms = SmsSender(SmsHttpSettings(url=gateway.url, auth_header_value="Bearer t", timeout_seconds=2))
    channels = Channels(FileChannel(tmp_path / "outbox"), EmailSender(smtp), sms)
    yield (
        CollectionActivities(store, channels, example_renderer(), LegalDesk(store, tmp_path / "legal")),
        mailbox,
        gateway,
    )


# Permanent: the activity's ApplicationError names the recipient. Retryable: the sender's error does, and its cause
# (smtplib's) too, by its repr.
@pytest.mark.parametrize("reply", ["550 5.1.1 <finance@mingda.example.com>: no such user", "450 4.2.1 try later"])
def test_an_smtp_refusal_is_logged_without_the_debtors_email(debtor_channels: tuple, reply: str) -> None:
    activities, mailbox, _ = debtor_channels
    mailbox.rcpt_reply = reply
    line = logged_failure(JsonFormatter(), lambda: activities.perform(first(ActionKind.EMAIL)))
    assert "refused" in json.loads(line)["exception"] and reply[:3] in line  # still says what happened
    assert "[email]" in line and EMAIL not in line and "@" not in line


def test_a_provider_echoing_the_number_is_logged_without_it(debtor_channels: tuple) -> None:
    activities, _, gateway = debtor_channels
    gateway.status, gateway.answer = 422, {"error": f"invalid number {PHONE}"}
    formatter = RedactingFormatter("%(levelname)s %(name)s: %(message)s")
    text = logged_failure(formatter, lambda: activities.perform(first(ActionKind.SMS)))
    assert "invalid number [phone]" in text and PHONE not in text and PHONE[1:] not in text
