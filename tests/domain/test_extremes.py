"""Issue 13: whatever the validators accept, the domain can process forever.

Hypothesis draws events, payments and commands from the validators' own bounds (the earliest and latest instants,
every timezone including +14:00 and -12:00, the largest amounts in every currency's precision, the finest rates,
the longest texts in any script) and drives them through settle, plan, the status, the limitation and money
functions and the payload converter. Nothing may raise, and an account at the stated size (50 invoices, 200
payments, 100 commands, every text at its maximum) stays under PAYLOAD_BUDGET in every payload it produces."""

import string
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import get_args
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic_core import to_json
from temporalio.contrib.pydantic import pydantic_data_converter

from domain import rerouting as rules
from domain.account import RULES, AccountState
from domain.bounds import (
    EARLIEST,
    LATEST,
    MAX_LISTED_REPEATS,
    MAX_NOTE,
    MAX_REFERENCE,
    MAX_SHORT_TEXT,
    STATE_BUDGET,
    Rate,
)
from domain.commands import ContactOutcome, LegalOutcome, OpenDispute, Pause, PromiseToPay, ReportBankruptcy
from domain.events import InvoiceOverdue, PaymentReceived
from domain.money import KNOWN_CURRENCIES, minor_units
from domain.planner import Act, limitation_of, plan
from domain.policy_book import PolicyBook
from domain.status import account_status
from tests.domain.simulate import open_account
from tests.factories import overdue

BOOK = PolicyBook()
PAYLOAD_BUDGET = STATE_BUDGET + 100_000  # bytes: a full account and the message that found it full
ZONES = sorted(available_timezones() - {"Factory", "localtime"})
CURRENCIES = sorted(KNOWN_CURRENCIES)
# Letters of many scripts, RTL and combining marks included; the validators refuse control characters.
LETTERS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"))


def texts(max_size: int) -> st.SearchStrategy[str]:
    edge = st.sampled_from(["x" * max_size, "蔡" * max_size, "\u202e" + "a" * (max_size - 1), "{{ 7*7 }}"])
    return st.one_of(edge, st.text(LETTERS, min_size=1, max_size=max_size)).map(str.strip).filter(bool)


def instants(earliest: datetime = EARLIEST, latest: datetime = LATEST) -> st.SearchStrategy[datetime]:
    edge = st.sampled_from([earliest, latest, max(earliest, latest - timedelta(days=1))])
    drawn = st.datetimes(min_value=earliest.replace(tzinfo=None), max_value=latest.replace(tzinfo=None))
    return st.one_of(edge, drawn.map(lambda d: d.replace(tzinfo=UTC)))


PLACES = get_args(Rate)[1].metadata[0].decimal_places  # the finest rate domain.bounds.Rate allows
FINEST = Decimal(1).scaleb(-PLACES)


def rates() -> st.SearchStrategy[Decimal]:
    return st.one_of(st.sampled_from([FINEST, Decimal("0.01") - FINEST]),
                     st.decimals(min_value=0, max_value=Decimal("0.01"), places=min(PLACES, 50)))  # fmt: skip


@st.composite
def amounts(draw: st.DrawFn, currency: str) -> str:
    places = min(minor_units(currency), 6)
    digits = draw(st.integers(min_value=1, max_value=18))
    whole = draw(st.sampled_from(["9" * digits, "1"]))
    return whole + (f".{'9' * places}" if places and draw(st.booleans()) else "")


@st.composite
def events(draw: st.DrawFn, event_id: str, invoice_id: str, at: datetime | None = None) -> InvoiceOverdue:
    currency = draw(st.sampled_from(CURRENCIES))
    occurred = at or draw(instants())
    zone = draw(st.sampled_from(["Pacific/Kiritimati", "Etc/GMT+12", *ZONES]))
    local = occurred.astimezone(ZoneInfo(zone))
    due = local.date() - timedelta(days=draw(st.integers(min_value=0, max_value=365 * 20 - 6)))
    assume(local.date() >= EARLIEST.date())  # 1970-01-01T00:00Z is still 1969 west of Greenwich
    due = min(max(due, EARLIEST.date()), LATEST.date())
    rate = draw(st.one_of(st.none(), rates().map(lambda r: {"daily_rate": str(r)}),
                          st.just({"reference_rate": "1", "multiple": "10"})))  # fmt: skip
    return InvoiceOverdue.model_validate({
        "event_id": event_id, "type": "invoice.overdue", "occurred_at": occurred.isoformat(), "account_id": "ACC-X",
        "debtor": {"name": draw(texts(200)), "timezone": zone, "locale": draw(st.sampled_from(["en", "zh-CN"])),
                   "email": "a@b.example", "phone": "+8613800000000",
                   "segment": draw(st.sampled_from(["standard", "important", "commercial"]))},
        "invoice": {"invoice_id": invoice_id, "amount": draw(amounts(currency)), "currency": currency,
                    "due_date": due.isoformat(), "contract_ref": draw(texts(MAX_REFERENCE))}
                   | ({"interest": rate} if rate else {}),
    })  # fmt: skip


def drive(state: AccountState, now: datetime) -> None:
    """What the workflow does with a state at `now`: settle, plan, the status, and the payloads it sends."""
    rules.settle(state, now)
    decision = plan(state, now)
    status = account_status(state, now)
    limitation_of(state)
    assert len(status.describe()) > 0
    payloads = [state, status] + ([decision.request] if isinstance(decision, Act) else [])
    for payload in payloads:
        [encoded] = pydantic_data_converter.payload_converter.to_payloads([payload])
        assert encoded.ByteSize() < PAYLOAD_BUDGET, (type(payload).__name__, encoded.ByteSize())
        pydantic_data_converter.payload_converter.from_payloads([encoded], [type(payload)])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_accepted_input_is_processed_without_error(data: st.DataObject) -> None:
    first = data.draw(events("evt-1", "INV-1"))
    state = AccountState(workflow_id="collection-ACC-X", account_id="ACC-X",
                         policy=BOOK.for_segment(first.debtor.segment), rules=RULES)  # fmt: skip
    opened = first.occurred_at
    state.add_invoice(first, opened)
    drive(state, opened)
    second = data.draw(events("evt-2", "INV-2", at=opened))
    state.add_invoice(second, opened)
    for n, later in enumerate(data.draw(st.lists(instants(opened), min_size=1, max_size=4))):
        currency = data.draw(st.sampled_from([first.invoice.currency, second.invoice.currency]))
        received = data.draw(instants(EARLIEST, later))
        payment = PaymentReceived(payment_id=f"P{n}", amount=data.draw(amounts(currency)), currency=currency,
                                  received_at=received)  # fmt: skip
        state.add_payment(payment, later)
        by = {"command_id": f"c{n}", "by": data.draw(texts(200))}
        command = data.draw(st.sampled_from([
            OpenDispute(**by, reason=data.draw(texts(MAX_SHORT_TEXT))),
            Pause(**by, reason="r", until=data.draw(instants(later))),
            PromiseToPay(**by, amount=data.draw(amounts(currency)), currency=currency,
                         promised_date=data.draw(instants(later)).date()),
            ContactOutcome(**by, channel="phone", result="no_answer", at=received),
            ReportBankruptcy(**by, case_reference=data.draw(texts(MAX_REFERENCE)), note=data.draw(texts(MAX_NOTE))),
        ]))  # fmt: skip
        apply(state, command, later)
        drive(state, later)
    drive(state, LATEST)


CHECK = {OpenDispute: rules.check_dispute, Pause: rules.check_pause, PromiseToPay: rules.check_promise}
APPLY = {OpenDispute: rules.apply_dispute, Pause: rules.apply_pause, PromiseToPay: rules.apply_promise,
         ContactOutcome: rules.apply_contact_outcome, ReportBankruptcy: rules.apply_bankruptcy,
         LegalOutcome: rules.apply_legal_outcome}  # fmt: skip


def apply(state: AccountState, command: object, now: datetime) -> None:
    """As the workflow does: an update only if its validator accepts it."""
    check = CHECK.get(type(command))
    try:
        if check:
            check(state, command, now)
    except rules.CommandRejected:
        return
    APPLY[type(command)](state, command, now)


def test_an_account_at_the_stated_size_stays_under_the_payload_budget() -> None:
    """50 invoices, 200 payments and 100 commands, every text at its maximum."""
    now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    name = "蔡" * 200
    state = AccountState(workflow_id="collection-ACC-X", account_id="ACC-X", policy=BOOK.for_segment("commercial"),
                         rules=RULES)  # fmt: skip

    def event(n: int) -> InvoiceOverdue:
        return InvoiceOverdue.model_validate({
            "event_id": f"evt-{n:03}" + "e" * 120, "type": "invoice.overdue", "occurred_at": now.isoformat(),
            "account_id": "ACC-X", "debtor": {"name": name, "timezone": "Asia/Shanghai", "locale": "zh-CN",
                                              "email": "a@b.example", "segment": "commercial"},
            "invoice": {"invoice_id": f"INV-{n:03}" + "i" * 120, "amount": "999999999999999999.99", "currency": "CNY",
                        "due_date": "2026-10-01", "contract_ref": string.ascii_letters[:50] * 2,
                        "interest": {"daily_rate": f"0.000{n:02}" + "9" * (PLACES - 5)}},
        })  # fmt: skip

    for n in range(50):
        state.add_invoice(event(n), now)
    for n in range(200):
        payment = PaymentReceived(payment_id=f"PAY-{n:03}" + "p" * 120, amount="1.01", currency="CNY",
                                  received_at=now)  # fmt: skip
        state.add_payment(payment, now)
    for n in range(100):
        by = {"command_id": f"cmd-{n:03}" + "c" * 120, "by": name}
        if n % 2:
            apply(state, ContactOutcome(**by, channel="phone", result="no_answer", at=now), now)
        else:
            apply(state, OpenDispute(**by, reason="理" * MAX_SHORT_TEXT), now)
    assert (len(state.invoices), len(state.payments), len(state.commands)) == (50, 200, 100)
    for day in (0, 30, 400, 3000):
        drive(state, now + timedelta(days=day))


def test_a_full_account_refuses_what_would_outgrow_it_and_lists_the_refusals_a_bounded_number_of_times() -> None:
    now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    state = open_account(BOOK.for_segment("standard"), now)
    n = 0
    while not state.full():
        apply(state, OpenDispute(command_id=f"cmd-{n}", by="蔡" * 200, reason="理" * MAX_SHORT_TEXT), now)
        n += 1
    full = len(to_json(state))
    assert STATE_BUDGET < full < STATE_BUDGET + 10_000
    for n in range(100):
        assert not state.add_payment(PaymentReceived(payment_id=f"late-{n}", amount="1.00", currency="CNY",
                                                     received_at=now), now)  # fmt: skip
        assert state.add_invoice(overdue(event_id=f"late-{n}", invoice_id=f"INV-late-{n}", occurred_at=now),
                                 now) == "rejected"  # fmt: skip
        assert rules.refuse_signal(state, ReportBankruptcy(command_id=f"late-{n}", by="x"), now)
        with pytest.raises(rules.CommandRejected, match="the account holds as much as one account may"):
            rules.check_acceptable(state, OpenDispute(command_id=f"late-{n}", by="x", reason="r"))
    assert sum(h.kind == "refused" for h in state.history) == MAX_LISTED_REPEATS
    assert state.unlisted == {"refused": 300 - MAX_LISTED_REPEATS}
    assert len(to_json(state)) < full + MAX_LISTED_REPEATS * 1_000
    assert f"(and {300 - MAX_LISTED_REPEATS} more refused not listed)" in account_status(state, now).describe()
    drive(state, now + timedelta(days=100))
