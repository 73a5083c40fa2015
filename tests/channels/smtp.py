"""A real SMTP server (aiosmtpd) on a free loopback port for tests, keeping every message it accepts."""

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


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every message it accepts; answers RCPT TO with `rcpt_reply` if set."""

    received: list[Received] = field(default_factory=list)
    rcpt_reply: str | None = None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(Received(envelope, tls=session.ssl is not None, authenticated=session.authenticated))
        return "250 OK"


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
