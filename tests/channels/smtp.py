"""A real SMTP server (aiosmtpd) on a free loopback port for tests, keeping every message it accepts. A test may
decide the answer to each message's DATA (`Mailbox.decide`), for example to fail a fraction of deliveries."""

import asyncio
import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from activities.senders import SmtpSettings


@dataclass
class Received:
    envelope: Envelope
    tls: bool
    authenticated: bool

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.envelope.original_content or b"", policy=email.policy.default)


@dataclass(frozen=True)
class DataReply:
    """The answer to one message's DATA: the reply line, sent after `delay` seconds. `keep`: the server commits the
    message before answering, so a sender that gives up waiting for a late reply leaves it delivered all the same
    (SMTP's own duplicate problem, which the Message-ID lets the receiving side recognise)."""

    reply: str = "250 OK"
    delay: float = 0.0
    keep: bool = True


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every message it accepts; answers RCPT TO with `rcpt_reply` if set, and DATA with
    what `decide` says for the message (None, or no `decide`: accepted at once)."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: str | None = None
    decide: Callable[[EmailMessage], DataReply | None] | None = None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        received = Received(envelope, tls=session.ssl is not None, authenticated=session.authenticated)
        answer = (self.decide(received.message) if self.decide else None) or DataReply()
        if answer.keep:
            self.received.append(received)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return answer.reply


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def loopback(port: int) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1",
        port=port,
        sender_address="receivables@example.com",
        sender_name="Example Trading 应收账款",
        starttls=False,
        timeout_seconds=5,
    )


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Mailbox, SmtpSettings]]]:
    """Starts SMTP servers on free loopback ports (aiosmtpd options as keywords); stops them afterwards."""
    controllers: list[Controller] = []

    def start(**options: object) -> tuple[Mailbox, SmtpSettings]:
        mailbox, port = Mailbox(), free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return mailbox, loopback(port)

    yield start
    for controller in controllers:
        controller.stop()
