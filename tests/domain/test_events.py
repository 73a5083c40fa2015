import json
from datetime import date, datetime

import pytest

from domain.commands import digest
from domain.events import BillingEvent, EventRejected, InvoiceEvent, parse_event
from tests.factories import billing_dict, event_dict, overdue_line


def reject_reason(data: dict | str) -> str:
    line = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(EventRejected) as error:
        parse_event(line)
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
    event = parse_event(overdue_line(amount="12000.50"))
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
        (
            with_invoice(due_date="2026-10-03"),
            "invoice.due_date 2026-10-03 is after occurred_at (2026-10-02 in Asia/Shanghai): the invoice is not "
            "overdue yet (send invoice.issued or invoice.due_soon before the due date)",
        ),
        (event_dict(event_id=""), "event_id: String should match pattern"),
        (event_dict(account_id="ACC 1/../x"), "account_id: String should match pattern"),
        ({k: v for k, v in event_dict().items() if k != "account_id"}, "account_id: required field is missing"),
        (
            event_dict() | {"type": "invoice.payed"},
            "type: unknown event type 'invoice.payed' (expected 'invoice.overdue', "
            "'invoice.issued', 'invoice.due_soon', 'invoice.paid', 'invoice.cancelled')",
        ),
        (event_dict() | {"type": "invoice.paid"}, "invoice_id: required field is missing"),  # a billing event's shape
        ({k: v for k, v in event_dict().items() if k != "type"}, "type: required field is missing"),
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
    assert parse_event(json.dumps(data)).invoice.due_date.isoformat() == "2026-10-02"


def test_unknown_fields_are_ignored_so_senders_can_grow_the_contract() -> None:
    data = event_dict() | {"source_system": "sap"}
    assert parse_event(json.dumps(data)).event_id == "evt-1"


# --- before the due date: invoice.issued and invoice.due_soon ---


@pytest.mark.parametrize("kind", ["invoice.issued", "invoice.due_soon"])
def test_an_invoice_not_yet_due_is_issued_or_due_soon_up_to_400_days_ahead(kind: str) -> None:
    for due in ("2026-10-02", "2026-10-20", "2027-11-06"):  # due today, in 18 days, in 400 days (Shanghai's day)
        event = parse_event(json.dumps(event_dict(event_type=kind, due_date=date.fromisoformat(due))))
        assert isinstance(event, InvoiceEvent) and (event.type, str(event.invoice.due_date)) == (kind, due)
    past_due = parse_event(json.dumps(event_dict(event_type=kind)))  # a day past due: still an invoice we follow
    assert isinstance(past_due, InvoiceEvent) and past_due.type == kind


@pytest.mark.parametrize("kind", ["invoice.issued", "invoice.due_soon"])
def test_a_due_date_more_than_400_days_ahead_is_refused(kind: str) -> None:
    data = event_dict(event_type=kind, due_date=date(2027, 11, 7))
    assert reject_reason(data) == (
        "invoice.due_date 2027-11-07 is more than 400 days after occurred_at (2026-10-02 in Asia/Shanghai): "
        "too far ahead to follow"
    )


def test_the_400_days_count_from_the_debtors_local_day() -> None:
    # 2026-10-01T20:00Z is 2026-10-02 in Shanghai but 2026-10-01 in Los Angeles.
    at = datetime.fromisoformat("2026-10-01T20:00:00+00:00")
    shanghai = event_dict(event_type="invoice.issued", occurred_at=at, due_date=date(2027, 11, 6))
    assert isinstance(parse_event(json.dumps(shanghai)), InvoiceEvent)
    la = event_dict(
        event_type="invoice.issued", occurred_at=at, due_date=date(2027, 11, 6), timezone="America/Los_Angeles"
    )
    assert "is more than 400 days after occurred_at (2026-10-01 in America/Los_Angeles)" in reject_reason(la)


def test_an_issued_invoice_is_still_refused_more_than_20_years_before() -> None:
    data = event_dict(event_type="invoice.issued", due_date=date(2006, 10, 1))
    assert reject_reason(data) == (
        "invoice.due_date 2006-10-01 is more than 20 years before occurred_at (2026-10-02): past any limitation period"
    )


def test_the_digest_of_an_invoice_event_is_the_one_running_accounts_hold() -> None:
    """Taken before the rename to InvoiceEvent: a re-delivered event must not be taken for a conflicting one."""
    assert digest(parse_event(overdue_line(address=None))) == "33aee967ac270d4acb9e366d"  # a field added since, unset
    issued = parse_event(json.dumps(event_dict(event_type="invoice.issued")))
    assert digest(issued) != digest(parse_event(overdue_line())), "the same id as another type is a conflict"


# --- from billing: invoice.paid and invoice.cancelled ---


@pytest.mark.parametrize("kind", ["invoice.paid", "invoice.cancelled"])
def test_a_billing_event_names_its_invoice_and_may_give_an_amount(kind: str) -> None:
    event = parse_event(json.dumps(billing_dict(kind)))
    assert isinstance(event, BillingEvent) and (event.type, event.invoice_id, event.amount) == (kind, "INV-1", None)
    full = billing_dict(kind, amount=" 500.50 ", currency="CNY", reference="CN-7", reason="goods returned")
    event = parse_event(json.dumps(full))
    assert isinstance(event, BillingEvent)
    assert (str(event.amount), event.currency, event.reference, event.reason) == (
        "500.50",
        "CNY",
        "CN-7",
        "goods returned",
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"amount": "500.00"}, "an amount needs its currency"),
        ({"amount": "-5.00", "currency": "CNY"}, "amount: amount must be positive, got -5.00"),
        ({"amount": 500, "currency": "CNY"}, 'amount: amount must be a string such as "12000.00"'),
        ({"amount": "1.005", "currency": "CNY"}, "amount 1.005 has more decimals than CNY allows (2)"),
        ({"currency": "XYZ"}, "currency: unknown currency 'XYZ'"),
        ({"reason": "x" * 501}, "reason: String should have at most 500 characters"),
        ({"reference": "line\nbreak"}, "reference: control character 0x000a at position 4 is not allowed"),
        ({"invoice_id": "INV 1"}, "invoice_id: String should match pattern"),
        ({"occurred_at": "2026-10-02T01:00:00"}, "occurred_at: Input should have timezone info"),
    ],
)
def test_billing_rejections_name_the_field_and_the_reason(fields: dict, reason: str) -> None:
    assert reason in reject_reason(billing_dict("invoice.paid") | fields)


def test_a_billing_event_may_say_null_for_what_it_leaves_out() -> None:
    """As its own payload does when the workflow reads it back (a null currency once failed with a TypeError)."""
    event = parse_event(json.dumps(billing_dict("invoice.paid", amount=None, currency=None, reason=None)))
    assert isinstance(event, BillingEvent) and (event.amount, event.currency, event.reason) == (None, None, None)
    assert BillingEvent.model_validate_json(event.model_dump_json()) == event


def test_a_billing_event_needs_its_invoice() -> None:
    data = {k: v for k, v in billing_dict("invoice.cancelled").items() if k != "invoice_id"}
    assert reject_reason(data) == "invoice_id: required field is missing"
