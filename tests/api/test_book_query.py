"""book: filters to a visibility query (safely), the cursor, money from the float attribute; api.auth's keys. Pure."""

from datetime import date
from decimal import Decimal

import pytest

import book
from api.auth import DEV_KEYS, load_keys, parse_keys, role_of

TODAY = date(2026, 11, 25)


def test_no_filter_is_every_open_collection_workflow() -> None:
    assert book.to_query(book.Filters(), TODAY) == "WorkflowType = 'CollectionWorkflow' AND ExecutionStatus = 'Running'"
    assert book.to_query(book.Filters(include_closed=True), TODAY) == "WorkflowType = 'CollectionWorkflow'"


def test_every_filter_in_the_query() -> None:
    filters = book.Filters(
        stage="strict",
        segment="vip",
        min_outstanding=Decimal("100.5"),
        max_outstanding=Decimal("2E+3"),
        min_days_past_due=31,
        max_days_past_due=60,
        pending_approval=False,
        task_queue="tq-1",
    )
    assert book.to_query(filters, TODAY).split(" AND ") == [
        "WorkflowType = 'CollectionWorkflow'",
        "ExecutionStatus = 'Running'",
        "CollectionStage = 'strict'",
        "CollectionSegment = 'vip'",
        "TaskQueue = 'tq-1'",
        "CollectionOutstanding >= 100.5",
        "CollectionOutstanding <= 2000",
        "CollectionOldestDue <= '2026-10-25T00:00:00Z'",  # 31 days past due on the 25th of November: due by Oct 25
        "CollectionOldestDue >= '2026-09-26T00:00:00Z'",
        "CollectionPendingApproval = false",
    ]


@pytest.mark.parametrize(
    "filters",
    [
        book.Filters(stage="x' OR 'a'='a"),
        book.Filters(segment="a b"),
        book.Filters(segment=""),
        book.Filters(task_queue="q\\"),
        book.Filters(min_outstanding=Decimal("NaN")),
        book.Filters(max_outstanding=Decimal("Infinity")),
    ],
)
def test_values_that_could_break_out_of_the_query_are_refused(filters: book.Filters) -> None:
    with pytest.raises(ValueError):
        book.to_query(filters, TODAY)


def test_the_cursor_round_trips_for_its_own_filters_only() -> None:
    token = b'{"some":"token"}\x00\xff'
    mine, theirs = book.Filters(segment="vip"), book.Filters()
    cursor = book.encode_cursor(token, mine)
    assert cursor and all(c.isalnum() or c in "-_=" for c in cursor)
    assert book.decode_cursor(cursor, mine) == token
    assert book.encode_cursor(None, mine) is None and book.decode_cursor(None, mine) is None
    for bad in (cursor, "%%%", "AAAA"):
        with pytest.raises(ValueError, match="invalid cursor"):
            book.decode_cursor(bad, theirs)


@pytest.mark.parametrize(
    ("value", "money"),
    [(5000.25, "5000.25"), (0.1 + 0.2, "0.30"), (12000.0, "12000.00"), (1e-3, "0.00"), (0.0, "0.00")],
)
def test_money_from_the_float_attribute(value: float, money: str) -> None:
    assert book.to_money(value) == Decimal(money) and str(book.to_money(value)) == money


def test_keys_roles_and_their_configuration() -> None:
    assert load_keys({}) == DEV_KEYS
    keys = parse_keys(" a=ops, b=ops ,c=supervisor,d=legal")
    assert keys == {"a": "ops", "b": "ops", "c": "supervisor", "d": "legal"}
    assert load_keys({"COLLECTIONS_API_KEYS": "a=ops"}) == {"a": "ops"}
    assert (role_of("b", keys), role_of("c", keys), role_of("x", keys), role_of(None, keys), role_of("", keys)) == (
        "ops",
        "supervisor",
        None,
        None,
        None,
    )
    for text in ("a=boss", "a", "=ops", " , "):
        with pytest.raises(ValueError):
            parse_keys(text)
