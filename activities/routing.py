"""Which channel carries each kind of message in this environment: the file channel by default (embedded),
SMTP for email and an HTTP provider for SMS when configured. Letters go to the print queue (the file
channel) with their PDF, or through a courier's HTTP API when configured (its reference is the tracking number);
staff tasks go to the store's task list."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from activities.channels import FileChannel, Outbound


class Email(Protocol):
    def send(self, *, key: str, to: str, subject: str, text: str, html: str | None, attachments: list = ...) -> str: ...


class Sms(Protocol):
    def send(self, *, key: str, to: str, text: str) -> str: ...


class Courier(Protocol):
    def send(self, *, key: str, to: str, address: dict, title: str, pdf: bytes) -> str: ...


@dataclass
class Channels:
    file: FileChannel
    email: Email | None = None
    sms: Sms | None = None
    courier: Courier | None = None

    def send(self, message: Outbound, create_task: Callable[[Outbound], str]) -> tuple[str, str]:
        """Transmit one message; returns (channel name, provider reference). Raises the senders' errors."""
        key = message.idempotency_key
        if message.kind == "email" and self.email is not None:
            reference = self.email.send(
                key=key, to=message.recipient, subject=message.subject or "", text=message.text, html=message.html
            )
            return "smtp", reference
        if message.kind == "sms" and self.sms is not None:
            return "sms-http", self.sms.send(key=key, to=message.recipient, text=message.text)
        if message.kind == "letter" and self.courier is not None and message.address and message.pdf:
            title = message.subject or message.step
            return "courier", self.courier.send(key=key, to=message.recipient, address=message.address, title=title,
                                                pdf=message.pdf)  # fmt: skip
        if message.kind == "task":
            reference = create_task(message)
            self.file.deliver(message)  # also visible in the embedded outbox
            return "tasks", reference
        return self.file.name, self.file.deliver(message).reference
