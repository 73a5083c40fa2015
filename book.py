"""The supervisor's view of the whole book: lists of accounts with filters and pages, and the aging report.

Shared by the HTTP API, the dashboard and the command line. It is answered from Temporal visibility, that is from
the custom search attributes every collection workflow upserts (`workflows.SEARCH_ATTRIBUTES`), and not by querying
each workflow: Temporal already indexes them, so one list call answers for thousands of accounts without waking a
worker, and a list does not need to be exact to the second.

The limit that comes with it: visibility is eventually consistent. An account started, paid or moved to another
stage a moment ago may show its previous values (or not show yet) for a second or so. The exact, current answer for
one account is its `status` query (`GET /v1/accounts/{id}`). Days past due are computed here from the oldest unpaid
due date (`CollectionOldestDue`, midnight UTC of that date) and `today` (the UTC date by default), because the
`CollectionDaysPastDue` attribute is only as fresh as the workflow's last plan and goes stale while it sleeps.
A stuck account (its workflow tasks fail, so nothing more happens until the code is fixed) is one Temporal's
server flags itself: `TemporalReportedProblems`, set after a few consecutive workflow task failures (server 1.30
and later; `workflows.STUCK_AFTER_FAILURES`, set by our dev server's flags and the compose stack's dynamic
configuration) and cleared by the first task that succeeds.
An account owing several currencies has one `CollectionOutstanding` (their sum) and `CollectionCurrency` lists them
joined by commas ("CNY,USD"): such an account appears under that joined key.
"""

import base64
import binascii
import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey

from domain.aging import AgingReport, AgingRow, age
from domain.events import MAX_DAYS_AHEAD
from workflows import (
    ACCOUNT_ID,
    CURRENCY,
    OLDEST_DUE,
    OUTSTANDING,
    PENDING_APPROVAL,
    SEGMENT,
    STAGE,
    WORKFLOW_ID_PREFIX,
    WORKFLOW_TYPE,
)

CENT = Decimal("0.01")
REPORTED_PROBLEMS = SearchAttributeKey.for_keyword_list("TemporalReportedProblems")
TASK_PROBLEMS = ("category=WorkflowTaskFailed", "category=WorkflowTaskTimedOut")
# Only these reach a query string: no quote, no space, no operator can be smuggled in.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
AGING_PAGE_SIZE = 1000
# Bounds of the filters, so that no filter costs more than the list it asks for (`1e200000000` once became a 200 MB
# query string, and 100000000 days an overflow):
MAX_OUTSTANDING = Decimal(10) ** 15  # beyond any balance, and within what the float attribute holds to the cent
OUTSTANDING_DECIMALS = Decimal("1e-6")  # amounts in a filter: at most 6 decimals (no currency has more)
MAX_DAYS_PAST_DUE = 36_500  # a hundred years: five times the longest limitation period, and `today - N` stays a date
MIN_DAYS_PAST_DUE = -MAX_DAYS_AHEAD  # not yet due: at most this many days before (domain.events.MAX_DAYS_AHEAD)
MAX_PAGE_SIZE = 1000  # Temporal's visibility serves at most 1,000 per page
MAX_CURSOR = 4096  # our cursors are Temporal's page token (tens to hundreds of bytes) and 8 bytes, in base64


@dataclass(frozen=True)
class AccountRow:
    """One account as visibility last saw it."""

    account_id: str
    workflow_id: str
    stage: str
    segment: str | None
    outstanding: Decimal
    currency: str
    oldest_due: date | None
    days_past_due: int | None
    pending_approval: bool
    running: bool
    stuck: bool = False


@dataclass(frozen=True)
class Filters:
    """What a supervisor narrows the book to. Every field is optional; `None` means "any".

    `task_queue` scopes the book to the workflows of one task queue: one deployment's book when several share a
    namespace, and what lets tests see only their own accounts."""

    stage: str | None = None
    segment: str | None = None
    min_outstanding: Decimal | None = None
    max_outstanding: Decimal | None = None
    min_days_past_due: int | None = None
    max_days_past_due: int | None = None
    pending_approval: bool | None = None
    include_closed: bool = False
    task_queue: str | None = None
    stuck: bool = False  # only accounts whose workflow tasks keep failing


def to_query(filters: Filters, today: date | None = None) -> str:
    """The visibility query for `filters`. Raises ValueError for a value that cannot be put in a query safely.

    Days past due become bounds on `CollectionOldestDue`: at least N days means due on or before today - N (a
    negative N: not yet due, due in at most -N days), that is before the midnight after it."""
    today = today or utc_today()
    clauses = [f"WorkflowType = '{WORKFLOW_TYPE}'"]
    if not filters.include_closed:
        clauses.append("ExecutionStatus = 'Running'")
    for attribute, value, what in (
        (STAGE.name, filters.stage, "stage"),
        (SEGMENT.name, filters.segment, "segment"),
        ("TaskQueue", filters.task_queue, "task queue"),
    ):
        if value is not None:
            clauses.append(f"{attribute} = '{_name(value, what)}'")
    if filters.min_outstanding is not None:
        clauses.append(f"{OUTSTANDING.name} >= {_amount(filters.min_outstanding, 'min_outstanding')}")
    if filters.max_outstanding is not None:
        clauses.append(f"{OUTSTANDING.name} <= {_amount(filters.max_outstanding, 'max_outstanding')}")
    if filters.min_days_past_due is not None:  # due on or before that day: before the next midnight (the server
        # keeps the attribute with more precision than the query's literal, so `<=` its own midnight missed that day)
        due = today - timedelta(days=_days(filters.min_days_past_due, "min_days_past_due") - 1)
        clauses.append(f"{OLDEST_DUE.name} < '{_midnight(due)}'")
    if filters.max_days_past_due is not None:
        due = today - timedelta(days=_days(filters.max_days_past_due, "max_days_past_due"))
        clauses.append(f"{OLDEST_DUE.name} >= '{_midnight(due)}'")
    if filters.pending_approval is not None:
        clauses.append(f"{PENDING_APPROVAL.name} = {'true' if filters.pending_approval else 'false'}")
    if filters.stuck:
        clauses.append(f"{REPORTED_PROBLEMS.name} IN ({', '.join(repr(p) for p in TASK_PROBLEMS)})")
    return " AND ".join(clauses)


async def list_accounts(
    client: Client,
    filters: Filters,
    page_size: int = 50,
    cursor: str | None = None,
    today: date | None = None,
) -> tuple[list[AccountRow], str | None]:
    """One page of accounts and the cursor of the next page (None on the last page).

    The cursor is Temporal's next-page token in URL-safe base64: opaque to callers, and only valid with the same
    filters (it carries their fingerprint). The order is the visibility store's. Raises ValueError for bad filters
    or a bad cursor."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {_shown(page_size)}")
    today = today or utc_today()
    query, token = to_query(filters, today), decode_cursor(cursor, filters)  # refused before Temporal is asked
    pages = client.list_workflows(query, page_size=page_size, next_page_token=token)
    await pages.fetch_next_page()
    rows = [account_row(execution, today) for execution in pages.current_page or []]
    return rows, encode_cursor(pages.next_page_token, filters)


async def aging(client: Client, today: date | None = None, filters: Filters | None = None) -> AgingReport:
    """The aging of every open account (all pages), optionally narrowed by `filters` (closed ones never count)."""
    today = today or utc_today()
    query = to_query(replace(filters or Filters(), include_closed=False), today)
    rows = [
        AgingRow(days_past_due=row.days_past_due, stage=row.stage, currency=row.currency, amount=row.outstanding)
        async for row in _rows(client, query, today)
    ]
    return age(rows, as_of=today)


async def open_accounts(client: Client, filters: Filters, today: date | None = None) -> AsyncIterator[AccountRow]:
    """Every open account of `filters`, page after page (the exports: the whole book, however large)."""
    today = today or utc_today()
    async for row in _rows(client, to_query(replace(filters, include_closed=False), today), today):
        yield row


async def _rows(client: Client, query: str, today: date) -> AsyncIterator[AccountRow]:
    async for execution in client.list_workflows(query, page_size=AGING_PAGE_SIZE):
        yield account_row(execution, today)


def account_row(execution: WorkflowExecution, today: date) -> AccountRow:
    """The row of one listed workflow. A workflow whose first task has not run yet has no attributes: it shows
    as `opening` with nothing outstanding."""
    attributes = execution.typed_search_attributes
    due = attributes.get(OLDEST_DUE)
    oldest = due.astimezone(UTC).date() if due else None
    return AccountRow(
        account_id=attributes.get(ACCOUNT_ID) or execution.id.removeprefix(WORKFLOW_ID_PREFIX),
        workflow_id=execution.id,
        stage=attributes.get(STAGE) or "opening",
        segment=attributes.get(SEGMENT),
        outstanding=to_money(attributes.get(OUTSTANDING) or 0.0),
        currency=attributes.get(CURRENCY) or "",
        oldest_due=oldest,
        days_past_due=(today - oldest).days if oldest else None,
        pending_approval=bool(attributes.get(PENDING_APPROVAL)),
        running=execution.status == WorkflowExecutionStatus.RUNNING,
        stuck=any(p in TASK_PROBLEMS for p in attributes.get(REPORTED_PROBLEMS) or ()),
    )


def to_money(value: float) -> Decimal:
    """The float attribute back to cents: its shortest repr is the decimal the workflow summed."""
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_EVEN)


def encode_cursor(token: bytes | None, filters: Filters) -> str | None:
    """Temporal's page token, prefixed with a fingerprint of the filters it was made for."""
    return base64.urlsafe_b64encode(_fingerprint(filters) + token).decode("ascii") if token else None


def decode_cursor(cursor: str | None, filters: Filters) -> bytes | None:
    """The page token back. Checked here, because Temporal answers a mangled token with an error it retries for
    seconds: a cursor that is not ours, or was made for other filters, is refused at once (ValueError)."""
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR:
        raise ValueError(f"invalid cursor: longer than {MAX_CURSOR} characters")
    try:
        raw = base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raw = b""
    fingerprint = _fingerprint(filters)
    if len(raw) <= len(fingerprint) or not raw.startswith(fingerprint):
        raise ValueError("invalid cursor: pass back the next_cursor of the previous page, with the same filters")
    return raw[len(fingerprint) :]


def _fingerprint(filters: Filters) -> bytes:
    return hashlib.sha256(repr(filters).encode()).digest()[:8]


def utc_today() -> date:
    return datetime.now(UTC).date()


def _name(value: str, what: str) -> str:
    if not _NAME.match(value):
        raise ValueError(f"invalid {what} {value[:40]!r}: letters, digits and . _ : - only")
    return value


def _amount(value: Decimal, what: str) -> str:
    """`value` as a number in the query, when it is one from 0 to MAX_OUTSTANDING with at most 6 decimals (compared
    before it is ever written out in full: `1e-999999` would have a million digits)."""
    try:
        number = Decimal(value)
        if not (number.is_finite() and 0 <= number <= MAX_OUTSTANDING):
            raise InvalidOperation
        exact = number.quantize(OUTSTANDING_DECIMALS)
        if exact != number:
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(
            f"{what} must be an amount from 0 to {MAX_OUTSTANDING:f} with at most 6 decimals, got {_shown(value)}"
        ) from None
    return format(exact.normalize(), "f")


def _days(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_DAYS_PAST_DUE <= value <= MAX_DAYS_PAST_DUE:
        raise ValueError(
            f"{what} must be a number of days from {MIN_DAYS_PAST_DUE} to {MAX_DAYS_PAST_DUE}, got {_shown(value)}"
        )
    return value


def _shown(value: object) -> str:
    """The start of a refused value, for its error message."""
    try:
        text = str(value)
    except ValueError:  # an int of more digits than Python will print
        return "a number too large to show"
    return repr(text[:40] + ("…" if len(text) > 40 else ""))


def _midnight(day: date) -> str:
    return datetime.combine(day, time(), tzinfo=UTC).isoformat().replace("+00:00", "Z")
