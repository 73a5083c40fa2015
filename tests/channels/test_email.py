"""EmailSender against a real SMTP server (aiosmtpd) on loopback: what arrives, STARTTLS with AUTH, failures."""

import datetime
import ipaddress
import socket
import ssl
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from activities.senders import EmailSender, PermanentSendError, RetryableSendError, SmtpSettings, message_id
from tests.channels.smtp import Mailbox, free_port, loopback

KEY = "collection-ACC-1/evt-1/d007-send_email"


def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: object) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"collector", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client's CA file) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_server(
    smtp_server: Callable[..., tuple[Mailbox, SmtpSettings]], certificate: tuple[Path, Path]
) -> tuple[Mailbox, SmtpSettings]:
    """STARTTLS required before anything, AUTH (after TLS) required before MAIL; settings that pass both."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    mailbox, settings = smtp_server(
        tls_context=context, require_starttls=True, authenticator=authenticate, auth_required=True
    )
    return mailbox, replace(
        settings, starttls=True, cafile=str(certificate[0]), username="collector", password="s3cret"
    )


def send(settings: SmtpSettings, key: str = KEY, **overrides: object) -> str:
    message: dict = {"to": "debtor@example.org", "subject": "Reminder", "text": "Please pay.", "html": None}
    return EmailSender(settings).send(key=key, **(message | overrides))


def test_delivers_text_and_html_with_headers_derived_from_the_key(smtp_server: Callable) -> None:
    mailbox, settings = smtp_server()
    reference = send(
        settings,
        subject="付款提醒：发票 INV-1 已逾期",
        text="尊敬的客户：请支付 ¥12,000.00。",
        html="<p>尊敬的客户：请支付 <b>¥12,000.00</b>。</p>",
    )
    [received] = mailbox.received
    assert received.envelope.mail_from == "receivables@example.com"
    assert received.envelope.rcpt_tos == ["debtor@example.org"]
    message = received.message
    assert message["From"].addresses[0].display_name == "Example Trading 应收账款"
    assert message["From"].addresses[0].addr_spec == "receivables@example.com"
    assert message["To"] == "debtor@example.org"
    assert message["Subject"] == "付款提醒：发票 INV-1 已逾期"
    assert message["Date"]
    assert message["Message-ID"] == reference == message_id(KEY, "example.com")
    assert message["X-Idempotency-Key"] == KEY
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == "尊敬的客户：请支付 ¥12,000.00。"
    assert message.get_body(("html",)).get_content().strip() == "<p>尊敬的客户：请支付 <b>¥12,000.00</b>。</p>"


def test_a_resend_carries_the_same_message_id_and_another_key_another(smtp_server: Callable) -> None:
    mailbox, settings = smtp_server()
    first, again, other = send(settings), send(settings), send(settings, key=KEY + "-other")
    assert first == again != other
    assert [r.message["Message-ID"] for r in mailbox.received] == [first, again, other]


def test_attachments_ride_along(smtp_server: Callable) -> None:
    mailbox, settings = smtp_server()
    document = b"%PDF-1.7 a letter"
    send(settings, html="<p>See the letter.</p>", attachments=[("demand.pdf", "application/pdf", document)])
    message = mailbox.received[0].message
    assert message.get_content_type() == "multipart/mixed"
    assert message.get_body(("html",)).get_content().strip() == "<p>See the letter.</p>"
    [attachment] = message.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content_type()) == ("demand.pdf", "application/pdf")
    assert attachment.get_content() == document


def test_starttls_and_login(tls_server: tuple[Mailbox, SmtpSettings]) -> None:
    mailbox, settings = tls_server
    send(settings)
    [received] = mailbox.received
    assert received.tls and received.authenticated


def test_wrong_password_is_permanent(tls_server: tuple[Mailbox, SmtpSettings]) -> None:
    mailbox, settings = tls_server
    with pytest.raises(PermanentSendError, match="535"):
        send(replace(settings, password="wrong"))
    assert mailbox.received == []


def test_an_untrusted_certificate_is_permanent(tls_server: tuple[Mailbox, SmtpSettings]) -> None:
    _, settings = tls_server
    with pytest.raises(PermanentSendError, match="certificate"):
        send(replace(settings, cafile=None))


def test_starttls_configured_but_not_offered_is_permanent(smtp_server: Callable) -> None:
    _, settings = smtp_server()
    with pytest.raises(PermanentSendError, match="STARTTLS"):
        send(replace(settings, starttls=True))


@pytest.mark.parametrize(
    ("reply", "error"),
    [("550 5.1.1 No such user", PermanentSendError), ("450 4.2.1 Mailbox busy, try later", RetryableSendError)],
)
def test_a_refused_recipient_follows_the_reply_code(smtp_server: Callable, reply: str, error: type) -> None:
    mailbox, settings = smtp_server()
    mailbox.rcpt_reply = reply
    with pytest.raises(error, match=reply[:3]):
        send(settings)


def test_a_server_that_is_down_is_retryable() -> None:
    with pytest.raises(RetryableSendError, match="unreachable"):
        send(loopback(free_port()))


def test_a_server_that_never_answers_is_retryable() -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never greets
    with silent, pytest.raises(RetryableSendError, match="timed out"):
        send(replace(loopback(silent.getsockname()[1]), timeout_seconds=0.3))
