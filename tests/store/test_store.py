"""The repository on both databases: idempotent writes, exact money and instants, evidence that stays put."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from threading import Barrier
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from store import (
    Account,
    Conflict,
    ContactLog,
    Document,
    Invoice,
    LegalCase,
    Message,
    NotFound,
    Payment,
    Store,
    Task,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)


def account(**changes: object) -> Account:
    fields: dict[str, object] = {
        "account_id": "ACC-1",
        "workflow_id": "collection-ACC-1",
        "debtor_name": "上海明达贸易有限公司",
        "phone": "+8613800000000",
        "email": "finance@mingda.example.com",
        "timezone": "Asia/Shanghai",
        "locale": "zh-CN",
        "segment": "standard",
        "policy": "standard",
    }
    return Account(**(fields | changes))


def invoice(invoice_id: str, amount: str = "12000.50") -> Invoice:
    return Invoice(
        account_id="ACC-1",
        invoice_id=invoice_id,
        amount=Decimal(amount),
        currency="CNY",
        due_date=date(2026, 11, 19),
        contract_ref="C-2026-001",
    )


def payment(payment_id: str, amount: str = "100.00", at: datetime = T0) -> Payment:
    return Payment(account_id="ACC-1", payment_id=payment_id, amount=Decimal(amount), currency="CNY", received_at=at)


def message(key: str = "collection-ACC-1/evt-1/d001-send_sms", **changes: object) -> Message:
    fields: dict[str, object] = {
        "idempotency_key": key,
        "account_id": "ACC-1",
        "kind": "sms",
        "action": "send_sms",
        "step": "d001-send_sms",
        "channel": "file",
        "recipient": "+8613800000000",
        "body_text": "您的账款已逾期",
    }
    return Message(**(fields | changes))


def entry(result: str, **changes: object) -> ContactLog:
    fields: dict[str, object] = {
        "account_id": "ACC-1",
        "at_utc": T0,
        "at_local": T0.isoformat(),
        "channel": "sms",
        "action": "send_sms",
        "step": "d001-send_sms",
        "result": result,
    }
    return ContactLog(**(fields | changes))


def legal_case(case_id: str = "LC-ACC-1") -> LegalCase:
    return LegalCase(
        case_id=case_id,
        account_id="ACC-1",
        workflow_id="collection-ACC-1",
        opened_at=T0,
        reason="litigation handoff at day 105",
        package='{"account_id": "ACC-1"}',
    )


# --- accounts, money, time ---


def test_upsert_account_inserts_updates_and_adds_only_new_rows(store: Store) -> None:
    store.upsert_account(account(), [invoice("INV-1")], [payment("PAY-1")])
    stored = store.upsert_account(
        account(phone="+8613900000000"),
        [invoice("INV-1", amount="1.00"), invoice("INV-2", amount="3500.50")],  # INV-1 again: ignored
        [payment("PAY-1"), payment("PAY-2")],
    )

    assert stored.phone == "+8613900000000"
    assert store.account("ACC-1") == stored
    assert [(i.invoice_id, i.amount) for i in store.invoices("ACC-1")] == [
        ("INV-1", Decimal("12000.50")),
        ("INV-2", Decimal("3500.50")),
    ]
    assert [p.payment_id for p in store.payments("ACC-1")] == ["PAY-1", "PAY-2"]
    assert store.account("ACC-2") is None


@pytest.mark.parametrize("amount", ["12000.50", "0.0001", "99999999999.9999", "-42.1"])
def test_money_round_trips_as_exact_decimal(store: Store, amount: str) -> None:
    store.upsert_account(account(), [invoice("INV-1", amount=amount)])

    [stored] = store.invoices("ACC-1")
    assert isinstance(stored.amount, Decimal)
    assert stored.amount == Decimal(amount)
    assert stored.amount.as_tuple().exponent == -4  # always 4 places: Decimal('12000.5000')


def test_instants_round_trip_aware_in_utc(store: Store) -> None:
    store.upsert_account(account(), [], [payment("PAY-1", at=T0)])

    [stored] = store.payments("ACC-1")
    assert stored.received_at == T0
    assert stored.received_at.tzinfo == UTC
    assert stored.received_at.hour == 1  # 09:00 in Shanghai


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        store.upsert_account(account(), [], [payment("PAY-1", at=datetime(2026, 11, 25, 9, 0))])
    assert store.account("ACC-1") is None  # the whole transaction was rolled back


# --- the outbox ---


def test_attempts_of_one_key_share_its_first_row_and_each_is_logged(store: Store) -> None:
    first = store.attempt(message(), entry("attempt"))
    again = store.attempt(message(body_text="a different body"), entry("attempt"))

    assert first.id is not None and first.attempts == 1
    assert (again.id, again.status, again.body_text, again.attempts) == (first.id, "pending", "您的账款已逾期", 2)
    assert [m.id for m in store.messages("ACC-1")] == [first.id]
    assert [row.result for row in store.contact_log("ACC-1")] == ["attempt", "attempt"]


def test_attempts_of_one_key_from_8_threads_create_one_row_and_all_count(store: Store) -> None:
    start = Barrier(8)

    def attempt(n: int) -> int | None:
        start.wait()
        return store.attempt(message(body_text=f"thread {n}"), entry("attempt")).id

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(attempt, range(8)))

    assert len(ids) == 1
    [row] = store.messages("ACC-1")
    assert (row.id, row.attempts) == (ids.pop(), 8)
    assert len(store.contact_log("ACC-1")) == 8


def test_message_lifecycle_attempts_failure_then_sent_once(store: Store) -> None:
    key = message().idempotency_key
    store.attempt(message(), entry("attempt"))
    assert store.attempt(message(), entry("attempt")).attempts == 2

    failed = store.mark_failed(key, "gateway timeout", entry("failed"))
    assert (failed.status, failed.error) == ("failed", "gateway timeout")
    assert store.attempt(message(), entry("attempt")) == failed  # not counted, not logged

    sent = store.mark_sent(key, "sms-http", "ref-1", entry("sent"))
    assert (sent.status, sent.channel, sent.provider_reference) == ("sent", "sms-http", "ref-1")
    assert sent.sent_at is not None and sent.sent_at.tzinfo == UTC

    assert store.mark_sent(key, "file", "ref-2") == sent  # sent is final
    assert store.mark_failed(key, "late report").status == "sent"
    assert store.message(key) == sent
    assert [row.result for row in store.contact_log("ACC-1")] == ["attempt", "attempt", "failed", "sent"]


def test_a_change_refused_by_the_database_logs_nothing(store: Store) -> None:
    store.attempt(message(), entry("attempt"))
    with pytest.raises(IntegrityError):
        store.mark_sent(message().idempotency_key, "file", "ref-1", entry("sent", document_id=424242))
    assert store.message(message().idempotency_key).status == "pending"  # the change and its entry, or neither
    assert [row.result for row in store.contact_log("ACC-1")] == ["attempt"]


def test_unknown_keys(store: Store) -> None:
    assert store.message("nope") is None
    for change in (lambda: store.mark_sent("nope", "file", "r"), lambda: store.mark_failed("nope", "e")):
        with pytest.raises(NotFound, match="nope"):
            change()


# --- documents ---


def test_documents_keep_their_bytes_and_are_saved_once(store: Store) -> None:
    content = b"%PDF-1.7\x00\xff\xfe binary"
    letter = Document(
        account_id="ACC-1",
        idempotency_key="collection-ACC-1/evt-1/d031-send_demand_letter",
        filename="demand.pdf",
        content_type="application/pdf",
        sha256="0" * 64,
        size=len(content),
        content=content,
    )
    saved = store.save_document(letter)
    assert store.save_document(letter).id == saved.id
    assert saved.id is not None
    assert store.document(saved.id).content == content

    linked = store.attempt(message("letter-key", kind="letter", channel="file", document_id=saved.id), entry("attempt"))
    assert linked.document_id == saved.id
    with pytest.raises(NotFound):
        store.document(saved.id + 1)


def test_constraint_violations_are_not_taken_for_duplicates(store: Store) -> None:
    with pytest.raises(IntegrityError):
        store.attempt(message(kind="fax"), entry("attempt"))  # CHECK constraint
    with pytest.raises(IntegrityError):
        store.attempt(message(document_id=424242), entry("attempt"))  # foreign key, enforced on SQLite too
    assert store.messages("ACC-1") == [] and store.contact_log("ACC-1") == []


# --- the contact log ---


def test_contact_log_keeps_insertion_order_per_account(store: Store) -> None:
    for n, result in enumerate(["attempt", "sent", "decision"]):
        store.log(entry(result, at_utc=T0 + timedelta(minutes=n)))
    store.log(entry("skipped", account_id="ACC-2"))

    rows = store.contact_log("ACC-1")
    assert [r.result for r in rows] == ["attempt", "sent", "decision"]
    assert all(r.at_utc.tzinfo == UTC for r in rows)
    assert rows[0].at_local == "2026-11-25T09:00:00+08:00"


@pytest.mark.parametrize("statement", ["UPDATE contact_log SET detail = 'edited'", "DELETE FROM contact_log"])
def test_contact_log_is_append_only(store: Store, statement: str) -> None:
    store.log(entry("sent", detail="original"))

    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text(statement))

    assert [r.detail for r in store.contact_log("ACC-1")] == ["original"]


# --- tasks ---


def test_tasks_are_created_once_and_filtered(store: Store) -> None:
    call = Task(
        idempotency_key="collection-ACC-1/evt-1/d035-create_call_task",
        account_id="ACC-1",
        kind="collector_call",
        assignee_role="collector",
        summary="Call the debtor",
        due_at=T0,
    )
    first = store.create_task(call)
    assert store.create_task(call).id == first.id
    store.create_task(Task(idempotency_key="k2", account_id="ACC-2", kind="visit", assignee_role="field", summary="s"))

    assert store.tasks(account_id="ACC-1") == [first]
    assert [t.account_id for t in store.tasks(state="open")] == ["ACC-1", "ACC-2"]
    assert store.tasks(state="done") == []
    assert first.due_at == T0


# --- legal cases ---


def test_legal_case_lifecycle(store: Store) -> None:
    opened = store.open_case(legal_case())
    assert store.open_case(legal_case()).id == opened.id
    assert store.cases("open") == [opened]

    accepted = store.accept_case("LC-ACC-1", "lawyer-li", T0)
    assert (accepted.state, accepted.accepted_by, accepted.accepted_at) == ("accepted", "lawyer-li", T0)
    assert store.accept_case("LC-ACC-1", "lawyer-wang", T0 + timedelta(days=1)) == accepted

    closed = store.close_case("LC-ACC-1", "judgment", "won at first instance", "lawyer-li", T0 + timedelta(days=30))
    assert (closed.state, closed.outcome, closed.outcome_by) == ("closed", "judgment", "lawyer-li")
    assert store.close_case("LC-ACC-1", "judgment", "again", "lawyer-wang", T0 + timedelta(days=31)) == closed

    with pytest.raises(Conflict, match="already closed as judgment"):
        store.close_case("LC-ACC-1", "settled", None, "lawyer-li", T0 + timedelta(days=32))
    with pytest.raises(Conflict, match="cannot be accepted"):
        store.accept_case("LC-ACC-1", "lawyer-li", T0)
    assert store.case("LC-ACC-1") == closed
    assert store.cases("closed") == [closed]
    assert store.cases() == [closed]


def test_unknown_legal_case(store: Store) -> None:
    assert store.case("LC-none") is None
    with pytest.raises(NotFound, match="LC-none"):
        store.accept_case("LC-none", "lawyer-li", T0)
    with pytest.raises(NotFound, match="LC-none"):
        store.close_case("LC-none", "settled", None, "lawyer-li", T0)
