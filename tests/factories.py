"""Builders of valid events for tests: override only what a test is about."""

import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from activities.rendering import Renderer
from domain.actions import ActionRequest
from domain.creditor import CreditorBook
from domain.events import BillingEvent, InvoiceEvent, PaymentReceived
from settings import EXAMPLE_CREDITORS

EXAMPLE_CREDITOR = CreditorBook(EXAMPLE_CREDITORS)  # the example profile (examples/creditors): what tests sign with
# Where letters go by default: from rules 5 a letter needs the debtor's postal address.
ADDRESS = {
    "recipient": "财务部",
    "lines": ["黄浦区南京东路1号"],
    "city": "上海市",
    "postcode": "200001",
    "country": "CN",
}


def example_renderer() -> Renderer:
    """The templates, signed by the example creditor."""
    return Renderer(creditors=EXAMPLE_CREDITOR)


def squeezed(text: str) -> str:
    """The text without whitespace: a PDF's lines wrap where its layout says, between Chinese characters too."""
    return "".join(text.split())


def pdf_text(pdf: bytes) -> str:
    """A PDF's text as a reader sees it, `squeezed`."""
    return squeezed("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def letter_text(request: ActionRequest, renderer: Renderer | None = None) -> str:
    """The letter the request asks for, as the debtor reads it: typeset as the letter activity does, its text
    `squeezed`."""
    renderer = renderer or example_renderer()
    source, _ = renderer.letter(request)
    return pdf_text(renderer.pdf(source, request.planned_at))


def event_dict(
    account_id: str = "ACC-1",
    event_id: str = "evt-1",
    invoice_id: str = "INV-1",
    amount: str = "12000.00",
    currency: str = "CNY",
    occurred_at: datetime | None = None,
    due_date: date | None = None,
    timezone: str = "Asia/Shanghai",
    locale: str = "zh-CN",
    segment: str = "standard",
    interest: dict | None = None,
    event_type: str = "invoice.overdue",
    creditor: str | None = None,
    **debtor: object,
) -> dict:
    """A valid invoice event as JSON data (`event_type`: invoice.overdue, invoice.issued, invoice.due_soon); by default
    one day past due at `occurred_at`."""
    occurred_at = occurred_at or datetime(2026, 10, 2, 1, 0, tzinfo=UTC)
    if due_date is None:
        due_date = occurred_at.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)
    return {
        "event_id": event_id,
        "type": event_type,
        "occurred_at": occurred_at.isoformat(),
        "account_id": account_id,
        "debtor": {
            "name": "上海明达贸易有限公司",
            "phone": "+8613800000000",
            "email": "finance@mingda.example.com",
            "timezone": timezone,
            "locale": locale,
            "segment": segment,
            "address": ADDRESS,
        }
        | debtor,
        "invoice": {
            "invoice_id": invoice_id,
            "amount": amount,
            "currency": currency,
            "due_date": due_date.isoformat(),
            "contract_ref": "C-2026-001",
        }
        | ({"interest": interest} if interest else {})
        | ({"creditor": creditor} if creditor else {}),
    }


def overdue(**overrides: object) -> InvoiceEvent:
    return InvoiceEvent.model_validate(event_dict(**overrides))


def billing_dict(
    event_type: str = "invoice.paid", event_id: str = "evt-b1", account_id: str = "ACC-1", invoice_id: str = "INV-1",
    occurred_at: datetime | None = None, **fields: object,
) -> dict:  # fmt: skip
    """A valid invoice.paid or invoice.cancelled event as JSON data (no amount: all the invoice owes)."""
    occurred_at = occurred_at or datetime(2026, 10, 2, 1, 0, tzinfo=UTC)
    return {"event_id": event_id, "type": event_type, "occurred_at": occurred_at.isoformat(), "account_id": account_id,
            "invoice_id": invoice_id} | fields  # fmt: skip


def billing(event_type: str = "invoice.paid", **overrides: object) -> BillingEvent:
    return BillingEvent.model_validate(billing_dict(event_type, **overrides))


def overdue_line(**overrides: object) -> str:
    return json.dumps(event_dict(**overrides), ensure_ascii=False)


def payment(payment_id: str = "PAY-1", amount: str = "12000.00", currency: str = "CNY", at: datetime | None = None):
    return PaymentReceived(
        payment_id=payment_id,
        amount=Decimal(amount),
        currency=currency,
        received_at=at or datetime(2026, 11, 10, tzinfo=UTC),
    )
