"""SmsSender against a local HTTP gateway that records each request and answers as the test says."""

import socket
import time
from dataclasses import replace

import pytest

from activities.senders import PermanentSendError, RetryableSendError, SmsHttpSettings, SmsSender
from tests.channels.gateway import Gateway

KEY = "collection-ACC-1/evt-1/d003-send_sms"


def settings(gateway: Gateway) -> SmsHttpSettings:
    return SmsHttpSettings(url=gateway.url, auth_header_value="Bearer t0ken", timeout_seconds=0.5)


def send(settings: SmsHttpSettings) -> str:
    return SmsSender(settings).send(key=KEY, to="+8613800138000", text="您的账款 ¥12,000.00 已逾期，请尽快付款。")


def test_posts_the_message_with_auth_and_idempotency_headers(gateway: Gateway) -> None:
    assert send(settings(gateway)) == "sms-1"
    [request] = gateway.requests
    assert request.path == "/v1/messages"
    assert request.headers["Authorization"] == "Bearer t0ken"
    assert request.headers["Idempotency-Key"] == KEY
    assert request.headers["Content-Type"] == "application/json"
    assert request.body == {"to": "+8613800138000", "text": "您的账款 ¥12,000.00 已逾期，请尽快付款。"}


def test_header_names_follow_the_settings(gateway: Gateway) -> None:
    send(replace(settings(gateway), auth_header_name="X-Api-Key", idempotency_header="X-Request-Id"))
    headers = gateway.requests[0].headers
    assert (headers["X-Api-Key"], headers["X-Request-Id"]) == ("Bearer t0ken", KEY)
    assert "Authorization" not in headers and "Idempotency-Key" not in headers


@pytest.mark.parametrize(
    ("answer", "reference"), [({"message_id": "m-7"}, "m-7"), ({"id": 42}, "42"), ({}, KEY), ([], KEY)]
)
def test_the_reference_is_the_gateways_id_else_the_key(gateway: Gateway, answer: object, reference: str) -> None:
    gateway.answer = answer
    assert send(settings(gateway)) == reference


@pytest.mark.parametrize("status", [503, 500, 429])
def test_server_errors_and_throttling_are_retryable(gateway: Gateway, status: int) -> None:
    gateway.status, gateway.answer = status, {"error": "try later"}
    with pytest.raises(RetryableSendError, match=str(status)):
        send(settings(gateway))


@pytest.mark.parametrize(
    ("status", "answer", "outcome"),
    [
        (422, {"error": "invalid number"}, "wrong_number"),
        (400, {"error": "recipient is not a mobile phone"}, "wrong_number"),
        (400, {"error": "text too long"}, None),
        (401, {"error": "bad token"}, None),
    ],
)
def test_other_client_errors_are_permanent(gateway: Gateway, status: int, answer: dict, outcome: str | None) -> None:
    gateway.status, gateway.answer = status, answer
    with pytest.raises(PermanentSendError, match=str(status)) as raised:
        send(settings(gateway))
    assert raised.value.outcome == outcome


def test_a_gateway_slower_than_the_timeout_is_retryable(gateway: Gateway) -> None:
    gateway.delay = 10
    started = time.monotonic()
    with pytest.raises(RetryableSendError, match="unreachable"):
        send(settings(gateway))
    assert time.monotonic() - started < 3
    assert len(gateway.requests) == 1  # it did arrive: the resend's idempotency key lets the gateway dedupe


def test_a_gateway_that_is_down_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/v1/messages"  # bound, not listening: refused
        with pytest.raises(RetryableSendError, match="unreachable"):
            send(SmsHttpSettings(url=url, auth_header_value="Bearer t0ken"))
