"""Real delivery: e-mail over SMTP and SMS through an HTTP gateway.

Each send carries the message's idempotency key, so a resend (a retried activity) is recognisable by the
provider, and every failure is sorted into retryable or permanent so that Temporal retries only what can
succeed later. Temporal matches non-retryable errors by class name: keep the two error classes' names.
"""

import base64
import hashlib
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

import httpx

from domain.commands import TRACKING_PATTERN


class RetryableSendError(Exception):
    """Transient (connection refused, timeout, 5xx, SMTP 4xx): the same send may succeed later."""


class PermanentSendError(Exception):
    """Retrying cannot help. `outcome` says what the failure tells about the contact ("wrong_number"), if anything."""

    def __init__(self, message: str, outcome: str | None = None) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender_address: str
    sender_name: str = ""
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 30.0
    cafile: str | None = None  # a CA to trust for STARTTLS besides the system's (a private relay's own CA)


def message_id(key: str, domain: str) -> str:
    """The Message-ID of the message with this idempotency key: a resend carries the same one, so the receiving
    side (and our mail logs) can tell it is the same message; SMTP itself has no idempotency."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


class EmailSender:
    """Sends one e-mail per call over SMTP; the reference returned is its Message-ID."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(
        self,
        *,
        key: str,
        to: str,
        subject: str,
        text: str,
        html: str | None,
        attachments: Sequence[tuple[str, str, bytes]] = (),
    ) -> str:
        """Send it; `attachments` are (file name, MIME type such as "application/pdf", content)."""
        message = self._compose(key, to, subject, text, html, attachments)
        self._transmit(message)
        return str(message["Message-ID"])

    def _compose(
        self,
        key: str,
        to: str,
        subject: str,
        text: str,
        html: str | None,
        attachments: Sequence[tuple[str, str, bytes]],
    ) -> EmailMessage:
        sender = self.settings.sender_address
        message = EmailMessage()
        message["From"] = Address(self.settings.sender_name, addr_spec=sender)
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = message_id(key, domain=sender.rpartition("@")[2] or "collections.local")
        message["X-Idempotency-Key"] = key
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
        for filename, mime_type, content in attachments:
            maintype, _, subtype = mime_type.partition("/")
            message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        return message

    def _transmit(self, message: EmailMessage) -> None:
        settings = self.settings
        try:
            with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds) as smtp:
                if settings.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=settings.cafile))
                if settings.username:
                    smtp.login(settings.username, settings.password or "")
                smtp.send_message(message)
        # smtplib's errors are OSErrors too: the most specific come first.
        except smtplib.SMTPRecipientsRefused as error:  # our only recipient was refused
            code, reply = next(iter(error.recipients.values()))
            raise _by_reply_code(code, reply, f"recipient {message['To']} refused") from error
        except smtplib.SMTPResponseException as error:  # sender refused, data refused, bad login, unwelcome
            raise _by_reply_code(error.smtp_code, error.smtp_error, "SMTP server refused") from error
        except smtplib.SMTPServerDisconnected as error:
            raise RetryableSendError(f"SMTP server disconnected: {error}") from error
        except ssl.SSLCertVerificationError as error:
            raise PermanentSendError(f"SMTP server's certificate not trusted: {error}") from error
        except smtplib.SMTPException as error:  # STARTTLS or AUTH not offered: configuration
            raise PermanentSendError(f"SMTP: {error}") from error
        except OSError as error:  # refused, unreachable, timed out, TLS broken off
            raise RetryableSendError(f"SMTP server {settings.host}:{settings.port} unreachable: {error!r}") from error


def _by_reply_code(code: int, reply: bytes | str, what: str) -> Exception:
    """SMTP's own rule: 4xx is temporary, 5xx is permanent."""
    detail = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
    message = f"{what}: {code} {detail}"
    return PermanentSendError(message) if 500 <= code < 600 else RetryableSendError(message)


@dataclass(frozen=True)
class HttpSettings:
    """A provider's JSON-over-HTTP endpoint: the SMS gateway's, the courier's."""

    url: str
    auth_header_value: str
    auth_header_name: str = "Authorization"
    idempotency_header: str = "Idempotency-Key"
    timeout_seconds: float = 10.0


SmsHttpSettings = HttpSettings


def _post(settings: HttpSettings, key: str, body: dict, what: str) -> httpx.Response:
    """One POST, deduplicated by the provider on the idempotency header; a transient failure (unreachable, 408,
    429, 5xx) is retryable, and the successful response is returned. Other answers are left to the caller."""
    headers = {settings.auth_header_name: settings.auth_header_value, settings.idempotency_header: key}
    try:
        response = httpx.post(settings.url, json=body, headers=headers, timeout=settings.timeout_seconds)
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as error:
        raise RetryableSendError(f"{what} unreachable: {error!r}") from error
    if response.status_code in (408, 429) or response.is_server_error:
        raise RetryableSendError(f"{what} answered {response.status_code}: {response.text[:300]}")
    return response


class SmsSender:
    """Sends one SMS per call as a JSON POST; the gateway dedupes on the idempotency header, so resending after
    a timeout (when the first request may have got through) sends one SMS."""

    def __init__(self, settings: SmsHttpSettings) -> None:
        self.settings = settings

    def send(self, *, key: str, to: str, text: str) -> str:
        """Send it; the reference is the gateway's message id (the key if the gateway gives none)."""
        response = _post(self.settings, key, {"to": to, "text": text}, "SMS gateway")
        if response.is_success:
            return _provider_id(response) or key
        message = f"SMS gateway answered {response.status_code}: {response.text[:300]}"
        raise PermanentSendError(message, outcome="wrong_number" if _says_invalid_number(response) else None)


class CourierSender:
    """Posts a letter through a courier's HTTP API (print and post, as EMS and SF Express offer): the PDF, the
    recipient's structured address and our reference (printed on the letter, for the courier's webhook); the
    courier answers with the tracking number, which the account records (the letter is then in transit).
    Deduplicated on the idempotency header, like the SMS gateway: a retry after a timeout posts one letter."""

    def __init__(self, settings: HttpSettings) -> None:
        self.settings = settings

    def send(self, *, key: str, to: str, address: dict, title: str, pdf: bytes) -> str:
        body = {"reference": key, "recipient": to, "address": address, "title": title,
                "pdf_base64": base64.b64encode(pdf).decode()}  # fmt: skip
        response = _post(self.settings, key, body, "courier")
        tracking = _tracking_number(response) if response.is_success else None
        if tracking is None:  # refused (a bad address), or accepted without a number to follow
            raise PermanentSendError(f"courier answered {response.status_code} without a tracking number: "
                                     f"{response.text[:300]}")  # fmt: skip
        return tracking


TRACKING = re.compile(TRACKING_PATTERN)


def _tracking_number(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    number = body.get("tracking_number") if isinstance(body, dict) else None
    return str(number) if number and TRACKING.match(str(number)) else None


def _provider_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    reference = body.get("id") or body.get("message_id")
    return str(reference) if reference else None


def _says_invalid_number(response: httpx.Response) -> bool:
    """Gateways word it differently; a 400/404/422 that talks about the number or recipient is about the number."""
    body = response.text.lower()
    return response.status_code in (400, 404, 422) and ("number" in body or "recipient" in body)
