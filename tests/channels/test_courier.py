"""CourierSender against a local HTTP courier that records each request and answers as the test says: a letter's
PDF, address and printed reference go out once per idempotency key; its tracking number comes back."""

import base64

import pytest

from activities.senders import CourierSender, HttpSettings, PermanentSendError, RetryableSendError
from tests.channels.gateway import Gateway

KEY = "collection-ACC-1/evt-1/d031-send_demand_letter"
ADDRESS = {"recipient": "财务部", "lines": ["黄浦区南京东路1号"], "city": "上海市", "region": None,
           "postcode": "200001", "country": "CN"}  # fmt: skip


def send(gateway: Gateway) -> str:
    settings = HttpSettings(url=gateway.url, auth_header_value="Bearer c0urier", timeout_seconds=0.5)
    return CourierSender(settings).send(key=KEY, to="上海明达贸易有限公司", address=ADDRESS, title="催款函",
                                        pdf=b"%PDF-1.7 letter")  # fmt: skip


def test_posts_the_letter_and_returns_the_tracking_number(gateway: Gateway) -> None:
    gateway.answer = {"tracking_number": "EMS1234567890CN", "fee": "22.00"}
    assert send(gateway) == "EMS1234567890CN"
    [request] = gateway.requests
    assert (request.headers["Authorization"], request.headers["Idempotency-Key"]) == ("Bearer c0urier", KEY)
    pdf = base64.b64encode(b"%PDF-1.7 letter").decode()
    assert request.body == {"reference": KEY, "recipient": "上海明达贸易有限公司", "address": ADDRESS,
                            "title": "催款函", "pdf_base64": pdf}  # fmt: skip


@pytest.mark.parametrize("answer", [{}, {"tracking_number": "<b>"}, {"tracking_number": ""}, ["EMS1"], "EMS1"])
def test_an_answer_without_a_number_to_follow_is_a_permanent_failure(gateway: Gateway, answer: object) -> None:
    gateway.answer = answer
    with pytest.raises(PermanentSendError, match="courier answered 200 without a tracking number"):
        send(gateway)


def test_a_refused_address_is_permanent_and_a_busy_courier_retryable(gateway: Gateway) -> None:
    gateway.status, gateway.answer = 422, {"error": "postcode does not match the city"}
    with pytest.raises(PermanentSendError, match=r"courier answered 422 without a tracking number: .*postcode"):
        send(gateway)
    gateway.status = 503
    with pytest.raises(RetryableSendError, match="courier answered 503"):
        send(gateway)
