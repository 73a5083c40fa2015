"""Issue 13: inputs that were accepted and then wedged an account are refused at the edge, with their reason; the
same id with other content is a conflict, not a silent no-op."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain import rerouting as rules
from domain.account import RULES
from domain.bounds import EDGE, check_happened
from domain.commands import (
    AgreeInstallmentPlan,
    ApprovalDecision,
    LegalOutcome,
    MigratePolicy,
    OpenDispute,
    Pause,
    PromiseToPay,
    ReportBankruptcy,
    ResolveDispute,
    UpdateContact,
)
from domain.events import PaymentReceived
from domain.money import InterestTerms
from domain.pacing import holiday_country
from domain.planner import plan
from domain.policy_book import PolicyBook
from domain.status import account_status
from tests.domain.simulate import open_account
from tests.domain.test_events import reject_reason, with_debtor, with_invoice
from tests.factories import event_dict, overdue, payment

NOW = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
BY = {"command_id": "cmd-1", "by": "ops"}


def refused(model: type, **fields: object) -> str:
    with pytest.raises(ValidationError) as error:
        model.model_validate(BY | fields)
    return str(error.value)


# 1. Far dates: the limitation date (+3 years) overflowed, and so did the local day of a +14:00 debtor.


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (with_invoice(due_date="9999-12-30") | {"occurred_at": "9999-12-31T00:00:00Z"}, "outside 1970-01-01 to 2100"),
        (event_dict(timezone="Pacific/Kiritimati") | {"occurred_at": "0001-01-01T00:00:00Z"}, "outside"),
        (event_dict(timezone="Pacific/Kiritimati") | {"occurred_at": "9999-12-31T23:59:59Z"}, "outside"),
        (with_invoice(due_date="2006-10-01"), "more than 20 years before occurred_at"),
    ],
)
def test_far_dates_are_refused(data: dict, reason: str) -> None:
    assert reason in reject_reason(data)


def test_a_due_date_twenty_years_back_is_accepted_and_planned() -> None:
    state = open_account(PolicyBook().for_segment("standard"), NOW, due_date=date(2006, 11, 10))
    rules.settle(state, NOW)
    assert plan(state, NOW) is not None


def test_far_payment_dates_are_refused() -> None:
    assert "outside" in refused(PaymentReceived, payment_id="P", amount="1.00", currency="CNY",
                                received_at="9999-12-31T00:00:00Z")  # fmt: skip
    late = payment(at=NOW + timedelta(days=2))
    with pytest.raises(ValueError, match=r"received_at .* is more than a day ahead"):
        check_happened(late, NOW)
    check_happened(payment(at=NOW + timedelta(hours=23)), NOW)  # clocks differ: a day of slack


def test_a_future_payment_reaching_the_workflow_is_refused_in_the_history() -> None:
    state = open_account(PolicyBook().for_segment("standard"), NOW)
    assert not state.add_payment(payment(at=NOW + timedelta(days=30)), NOW)
    assert state.payments == []
    assert "refused: received_at" in state.history[-1].detail


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Pause, {"reason": "r", "until": "9999-12-31T00:00:00Z"}),
        (PromiseToPay, {"amount": "1.00", "currency": "CNY", "promised_date": "9999-12-30"}),
        (AgreeInstallmentPlan, {"currency": "CNY", "installments": [{"amount": "1.00", "due_date": "0001-01-01"}]}),
    ],
)
def test_far_dates_in_commands_are_refused(model: type, fields: dict) -> None:
    assert "outside" in refused(model, **fields)


# 2. Decimal blow-up: a million-digit rate made every payload too large.


def test_rates_and_amounts_have_bounded_digits() -> None:
    for rate in ("1e-999990", "0.00000000001"):
        with pytest.raises(ValidationError, match="daily_rate"):
            InterestTerms(daily_rate=rate)
    assert "invoice.interest.daily_rate" in reject_reason(with_invoice(interest={"daily_rate": "1e-999990"}))
    assert InterestTerms(daily_rate="0.0005").describe() == "0.05% a day"
    with pytest.raises(ValidationError, match="amount"):
        PaymentReceived(payment_id="P", amount=Decimal("1e-999990"), currency="CNY", received_at=NOW)


@pytest.mark.parametrize(
    ("model", "fields", "reason"),
    [
        (PromiseToPay, {"amount": "12.345", "currency": "CNY", "promised_date": "2026-12-01"},
         "more decimals than CNY"),
        (AgreeInstallmentPlan, {"currency": "JPY", "installments": [{"amount": "10.5", "due_date": "2026-12-01"}]},
         "more decimals than JPY"),
        (ResolveDispute, {"dispute_id": "d", "resolution": "upheld", "adjustment": "-100.00"}, "must be positive"),
        (AgreeInstallmentPlan, {"currency": "CNY", "installments": []}, "at least 1 item"),
        (AgreeInstallmentPlan, {"currency": "CNY", "installments": [{"amount": "1", "due_date": "2026-12-01"}] * 101},
         "at most 100 items"),
        (OpenDispute, {"reason": "r", "invoice_ids": [f"INV-{n}" for n in range(101)]}, "at most 100 items"),
    ],
)  # fmt: skip
def test_amounts_in_commands_fit_the_currency(model: type, fields: dict, reason: str) -> None:
    assert reason in refused(model, **fields)


# 3. NUL and control characters: PostgreSQL refused them in every activity, for ever.


@pytest.mark.parametrize(
    "data",
    [with_debtor(name="Nul\u0000Name"), with_debtor(name="Clear\x1b[2Jscreen"), with_invoice(contract_ref="C\u0000")],
)
def test_control_characters_in_events_are_refused(data: dict) -> None:
    assert "control character" in reject_reason(data)


def test_control_characters_in_commands_are_refused_but_notes_keep_their_lines() -> None:
    assert "control character 0x0000" in refused(OpenDispute, reason="bad\u0000reason")
    assert "control character" in refused(LegalOutcome, outcome="settled", note="a\u0000b")
    assert "control character" in refused(OpenDispute, reason="line\nbreak")  # a reason is one line
    note = LegalOutcome.model_validate(BY | {"outcome": "settled", "note": "first line\n\tsecond line"})
    assert note.note == "first line\n\tsecond line"


# 4. Unbounded texts: a 1 MB case reference made every task fail with PAYLOADS_TOO_LARGE.


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (ReportBankruptcy, {"case_reference": "x" * 1_000_000}, "case_reference"),
        (ReportBankruptcy, {"note": "x" * 900_000}, "note"),
        (LegalOutcome, {"outcome": "settled", "note": "x" * 3_000_000}, "note"),
        (ApprovalDecision, {"step": "s" * 10_000, "reason": "r"}, "step"),
        (MigratePolicy, {"policy": PolicyBook().by_name("standard").model_dump(), "reason": "r",
                         "mapping": "restart_at_stage", "stage": "x" * 10_000}, "stage"),
        (OpenDispute, {"reason": "r", "by": "b" * 201}, "by"),
    ],
)  # fmt: skip
def test_every_text_has_a_maximum(model: type, fields: dict, field: str) -> None:
    assert f"\n{field}\n" in refused(model, **fields)


# 9. Conflicting reuse of an id: a repeat is a repeat, the same id with other content is refused and recorded.


def test_a_payment_id_reused_for_another_amount_is_refused_in_the_history() -> None:
    state = open_account(PolicyBook().for_segment("standard"), NOW)
    assert state.add_payment(payment("PAY-1", "10.00"), NOW)
    assert not state.add_payment(payment("PAY-1", "10.00", at=NOW + timedelta(hours=1)), NOW)  # a repeat
    assert state.history[-1].kind == "payment"
    assert not state.add_payment(payment("PAY-1", "900.00"), NOW)
    assert [p.amount for p in state.payments] == [Decimal("10.00")]
    assert state.history[-1].kind == "refused"
    assert "PAY-1 of 900.00 CNY refused: that id was already used for 10.00 CNY" in state.history[-1].detail


def test_a_command_id_reused_for_another_command_is_a_conflict() -> None:
    state = open_account(PolicyBook().for_segment("standard"), NOW)
    dispute = OpenDispute(command_id="cmd-7", by="ops", reason="goods damaged")
    rules.check_dispute(state, dispute, NOW)
    rules.apply_dispute(state, dispute, NOW)
    rules.check_acceptable(state, dispute)  # the same command again: a repeat
    rules.check_acceptable(state, dispute.model_copy(update={"by": "someone else"}))  # who sends it is not content
    pause = Pause(command_id="cmd-7", by="ops", reason="holiday", until=NOW + timedelta(days=3))
    with pytest.raises(rules.CommandConflict, match="cmd-7 was already used for a different command"):
        rules.check_acceptable(state, pause)
    bankrupt = ReportBankruptcy(command_id="cmd-7", by="ops")
    assert rules.refuse_signal(state, bankrupt, NOW)
    assert state.bankruptcy is None
    assert state.history[-1].kind == "refused"
    assert "ReportBankruptcy by ops refused: command id cmd-7" in state.history[-1].detail


# 8. A joining invoice rewrote the debtor (name, email, segment) with no audit row.


def test_a_joining_invoice_fills_missing_details_and_records_differing_ones_as_conflicts() -> None:
    state = open_account(PolicyBook().for_segment("standard"), NOW, phone=None)
    joining = overdue(event_id="evt-2", invoice_id="INV-2", occurred_at=NOW, name="Someone Else Ltd",
                      email="other@example.com", phone="+8613911111111", segment="important")  # fmt: skip
    assert state.add_invoice(joining, NOW) == "joined"
    assert state.debtor is not None
    assert (state.debtor.name, state.debtor.email, state.debtor.segment) == (
        "上海明达贸易有限公司", "finance@mingda.example.com", "standard",
    )  # fmt: skip
    assert state.debtor.phone == "+8613911111111"  # the account had none: filled
    assert [(c.field, c.kept, c.offered) for c in state.debtor_conflicts] == [
        ("email", "finance@mingda.example.com", "other@example.com"),
        ("name", "上海明达贸易有限公司", "Someone Else Ltd"),
        ("segment", "standard", "important"),
    ]
    details = [h.detail for h in state.history if h.kind in ("event", "refused")]
    assert details[0] == "event evt-2 filled the debtor's missing phone +8613911111111"
    assert "event evt-2 gives the debtor's name as 'Someone Else Ltd', the account has" in details[2]
    assert "conflict     event evt-2: segment 'important', kept 'standard'" in account_status(state, NOW).describe()


def test_a_dispute_adjustment_fits_the_currency_of_the_disputed_invoices() -> None:
    state = open_account(PolicyBook().for_segment("standard"), NOW)
    dispute = OpenDispute(command_id="d-1", by="ops", reason="short delivery")
    rules.apply_dispute(state, dispute, NOW)
    adjust = ResolveDispute(command_id="r-1", by="ops", dispute_id="d-1", resolution="upheld", adjustment="12.345")
    with pytest.raises(rules.CommandRejected, match=r"adjustment: amount 12\.345 has more decimals than CNY allows"):
        rules.check_resolution(state, adjust, NOW)
    rules.check_resolution(state, adjust.model_copy(update={"adjustment": Decimal("12.35")}), NOW)


# Issue 14: phone numbers validated with phonenumbers where they arrive; their country gives the holidays.


def test_a_phone_number_that_does_not_exist_is_refused_where_it_arrives_but_stored_ones_still_load() -> None:
    assert "debtor.phone: +15555550123 is not a valid phone number" in reject_reason(with_debtor(phone="+15555550123"))
    with pytest.raises(ValidationError, match=r"phone\n.*\+447700900123 is not a valid phone number"):
        UpdateContact.model_validate(BY | {"phone": "+447700900123"}, context=EDGE)
    stored = UpdateContact.model_validate(BY | {"phone": "+447700900123"})  # as a workflow loads what it accepted
    assert stored.phone == "+447700900123"


def test_the_holidays_are_those_of_the_phones_country_when_the_debtor_names_none() -> None:
    state = open_account(PolicyBook().for_segment("standard"), NOW, phone="+85291234567")  # Shanghai time, HK phone
    assert state.rules == RULES and holiday_country(state) == "HK"
    state.rules = 1  # an account opened before: the timezone's country, as its history recorded
    assert holiday_country(state) == "CN"
    state.rules = RULES
    state.debtor = state.debtor.model_copy(update={"country": "SG"})  # type: ignore[union-attr]
    assert holiday_country(state) == "SG"
