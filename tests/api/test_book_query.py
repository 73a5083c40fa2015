"""book: filters to a visibility query (safely), the cursor, money from the float attribute; api.auth's keys. Pure."""

from datetime import date
from decimal import Decimal
from typing import cast

import pytest
from temporalio.client import Client

import book
from edge.identity import DEV_KEYS, load_keys, machine_role, parse_keys

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
        "CollectionOldestDue < '2026-10-26T00:00:00Z'",  # 31 days past due on the 25th of November: due by Oct 25
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


@pytest.mark.parametrize(
    ("filters", "reason"),
    [
        (book.Filters(min_outstanding=Decimal("1e200000000")), "min_outstanding must be an amount from 0 to"),
        (book.Filters(max_outstanding=book.MAX_OUTSTANDING + 1), "max_outstanding must be an amount"),
        (book.Filters(min_outstanding=Decimal("-0.01")), "min_outstanding must be an amount"),
        (book.Filters(min_outstanding=Decimal("1e-999999")), "with at most 6 decimals, got '1E-999999'"),
        (book.Filters(max_outstanding=Decimal("0.0000001")), "with at most 6 decimals"),
        (book.Filters(min_days_past_due=100000000), "min_days_past_due must be a number of days from -400 to 36500"),
        (book.Filters(max_days_past_due=10**5000), "got a number too large to show"),
        (book.Filters(max_days_past_due=-401), "max_days_past_due must be a number of days"),
    ],
)
def test_filters_out_of_bounds_are_refused_with_the_reason(filters: book.Filters, reason: str) -> None:
    """`1e200000000` was written out as a 200 MB query and 100000000 days overflowed (issue 13, item 6)."""
    with pytest.raises(ValueError, match="must be") as refused:
        book.to_query(filters, TODAY)
    assert reason in str(refused.value) and len(str(refused.value)) < 200


def test_filters_at_their_bounds_are_queried() -> None:
    filters = book.Filters(
        min_outstanding=Decimal("0.000001"),
        max_outstanding=book.MAX_OUTSTANDING,
        min_days_past_due=book.MIN_DAYS_PAST_DUE,  # not yet due: due in at most 400 days
        max_days_past_due=book.MAX_DAYS_PAST_DUE,
    )
    assert book.to_query(filters, TODAY).split(" AND ")[2:] == [
        "CollectionOutstanding >= 0.000001",
        "CollectionOutstanding <= 1000000000000000",
        "CollectionOldestDue < '2027-12-31T00:00:00Z'",
        "CollectionOldestDue >= '1926-12-20T00:00:00Z'",
    ]
    assert "CollectionOutstanding >= 12.5" in book.to_query(book.Filters(min_outstanding=Decimal("12.500000000")))


async def test_pages_and_cursors_out_of_bounds_are_refused_before_temporal_is_asked() -> None:
    client = cast(Client, object())  # never reached
    for page_size in (0, book.MAX_PAGE_SIZE + 1):
        with pytest.raises(ValueError, match="page_size must be between 1 and 1000"):
            await book.list_accounts(client, book.Filters(), page_size=page_size)
    with pytest.raises(ValueError, match="invalid cursor: longer than 4096"):
        await book.list_accounts(client, book.Filters(), cursor="A" * (book.MAX_CURSOR + 1))
    with pytest.raises(ValueError, match="min_days_past_due"):
        await book.list_accounts(client, book.Filters(min_days_past_due=100000000))


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
    keys = parse_keys(" a=ops, b=ops ,c=supervisor,d=legal,e=general_manager")
    assert keys == {"a": "ops", "b": "ops", "c": "supervisor", "d": "legal", "e": "general_manager"}
    assert load_keys({"COLLECTIONS_API_KEYS": "a=ops"}) == {"a": "ops"}
    found = [machine_role(key, keys) for key in ("b", "c", "x", None, "")]
    assert found == ["ops", "supervisor", None, None, None]
    for text in ("a=boss", "a", "=ops", " , ", "ck_0123456789ab_x=ops"):  # ck_ is a person's key
        with pytest.raises(ValueError):
            parse_keys(text)
