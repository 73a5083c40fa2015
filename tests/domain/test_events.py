import json
from datetime import datetime

import pytest

from domain.events import EventRejected, parse_overdue_event
from tests.factories import event_dict, overdue_line


def reject_reason(data: dict | str) -> str:
    line = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(EventRejected) as error:
        parse_overdue_event(line)
    return str(error.value)


def with_invoice(**fields: object) -> dict:
    data = event_dict()
    data["invoice"].update(fields)
    return data


def with_debtor(**fields: object) -> dict:
    data = event_dict()
    data["debtor"].update(fields)
    return data


def test_valid_event_parses_with_decimal_amount() -> None:
    event = parse_overdue_event(overdue_line(amount="12000.50"))
    assert str(event.invoice.amount) == "12000.50"
    assert event.debtor.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (with_invoice(amount="-5.00"), "invoice.amount: amount must be positive, got -5.00"),
        (with_invoice(amount="0"), "invoice.amount: amount must be positive"),
        (with_invoice(amount="12,000"), "invoice.amount: malformed amount '12,000'"),
        (with_invoice(amount=12000.5), 'invoice.amount: amount must be a string such as "12000.00"'),
        (with_invoice(amount="1.005"), "amount 1.005 has more decimals than CNY allows (2)"),
        (with_invoice(amount="100.5", currency="JPY"), "more decimals than JPY allows (0)"),
        (with_invoice(currency="XYZ"), "invoice.currency: unknown currency 'XYZ'"),
        (with_debtor(timezone="Mars/Olympus"), "debtor.timezone: unknown timezone 'Mars/Olympus'"),
        (with_debtor(timezone="../../etc/passwd"), "debtor.timezone: unknown timezone"),
        (with_debtor(locale="fr"), "debtor.locale: unsupported locale 'fr' (supported: en, zh-CN)"),
        (with_debtor(phone="12345"), "debtor.phone: String should match pattern"),
        (with_debtor(email="not-an-email"), "debtor.email: value is not a valid email address"),
        (with_invoice(due_date="2026-10-03"), "is after occurred_at (2026-10-02 in Asia/Shanghai)"),
        (event_dict(event_id=""), "event_id: String should match pattern"),
        (event_dict(account_id="ACC 1/../x"), "account_id: String should match pattern"),
        ({k: v for k, v in event_dict().items() if k != "account_id"}, "account_id: required field is missing"),
        (event_dict() | {"type": "invoice.paid"}, "type: Input should be 'invoice.overdue'"),
        (event_dict() | {"occurred_at": "2026-10-02T01:00:00"}, "occurred_at: Input should have timezone info"),
        ('{"event_id": "evt-1", ', "malformed JSON (EOF while parsing"),
    ],
)
def test_rejections_name_the_field_and_the_reason(data: dict | str, reason: str) -> None:
    assert reason in reject_reason(data)


def test_every_bad_field_is_reported_at_once() -> None:
    reason = reject_reason(with_invoice(amount="-1", currency="XYZ"))
    assert "invoice.amount" in reason and "invoice.currency" in reason


def test_due_date_compares_in_the_debtors_timezone() -> None:
    # 2026-10-01T20:00Z is already 2026-10-02 in Shanghai: a due date of 10-02 is due today, not in the future.
    line = overdue_line(occurred_at=datetime.fromisoformat("2026-10-01T20:00:00+00:00"))
    data = json.loads(line)
    data["invoice"]["due_date"] = "2026-10-02"
    assert parse_overdue_event(json.dumps(data)).invoice.due_date.isoformat() == "2026-10-02"


def test_unknown_fields_are_ignored_so_senders_can_grow_the_contract() -> None:
    data = event_dict() | {"source_system": "sap"}
    assert parse_overdue_event(json.dumps(data)).event_id == "evt-1"
