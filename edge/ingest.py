"""Ingest: billing events, validated line by line, accounts in parallel and each account's events in order. An invoice
event (invoice.overdue, invoice.issued, invoice.due_soon) starts or joins its account's workflow by signal-with-start;
invoice.paid and invoice.cancelled go to the open account's workflow by signal, and never start one. The command line
(`starter.py ingest`), the HTTP API (`POST /v1/events`) and the ingest benchmark all run this one path (docs/events.md
says what each result means)."""

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from domain.account import ACCOUNT_FULL
from domain.bounds import check_happened
from domain.commands import digest
from domain.events import BillingEvent, Event, EventRejected, InvoiceEvent, parse_event
from domain.policy import Policy
from domain.policy_book import PolicyBook
from edge.client import QUERY_TIMEOUT
from workflows import BILLING_EVENT, EVENT_OUTCOME, HISTORY_EVENTS_PER_RUN, INVOICE_OVERDUE, TASK_QUEUE, workflow_id
from workflows.collection import CollectionWorkflow
from workflows.inputs import CollectionInput

EXIT_FAILED, EXIT_REJECTED = 1, 2  # what a command line exits with when a line failed, or was rejected
Result = Literal["started", "joined", "known", "applied", "duplicate", "accepted", "rejected", "failed"]
RESULTS: tuple[Result, ...] = get_args(Result)  # what became of each line: docs/events.md


@dataclass
class Line:
    number: int
    raw: str
    event: Event | None = None
    # started | joined | known | applied | duplicate | accepted (<why>) | rejected: <why> | failed: <why>
    result: str = ""

    def label(self) -> str:
        """event id and account id for the report, even from a line that failed validation."""
        if self.event:
            return f"{self.event.event_id}  {self.event.account_id}"
        data = self.probe()
        return f"{printable(data.get('event_id', '?'), 40)}  {printable(data.get('account_id', '?'), 40)}"

    def probe(self) -> dict:
        """What a rejected line's JSON holds, as far as it can be read ({} for garbage or absurd nesting)."""
        try:
            data = json.loads(self.raw)
        except (ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}


def printable(value: object, limit: int) -> str:
    """Any value as text that can be printed and encoded: lone surrogates from JSON escapes are shown escaped."""
    return str(value)[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass
class IngestReport:
    lines: list[Line] = field(default_factory=list)

    def count(self, prefix: str) -> int:
        return sum(line.result.startswith(prefix) for line in self.lines)

    @property
    def exit_code(self) -> int:
        if self.count("failed"):
            return EXIT_FAILED
        return EXIT_REJECTED if self.count("rejected") else 0

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(kind)} {kind}" for kind in RESULTS if self.count(kind))
        return f"{len(self.lines)} events: {counts or 'nothing to do'}"


def read_lines(source: Iterable[str]) -> list[Line]:
    return [Line(number, raw.rstrip("\n")) for number, raw in enumerate(source, start=1) if raw.strip()]


def policy_for(book: PolicyBook, event: InvoiceEvent) -> Policy:
    """The policy an account starts under: its segment's, a band's for a large first invoice, or an experiment's
    challenger (joins keep the account's)."""
    return start_for(book, event)[0]


def start_for(book: PolicyBook, event: InvoiceEvent) -> tuple[Policy, str | None]:
    """The policy an account starts under and its experiment arm (domain.experiments), if any."""
    book.check_creditor(event.invoice.creditor, "invoice.creditor")
    return book.for_account(event.account_id, event.debtor.segment, event.invoice.currency, event.invoice.amount)


def validate(line: Line, book: PolicyBook) -> None:
    try:
        line.event = parse_event(line.raw)
        check_happened(line.event, datetime.now(UTC))
        if isinstance(line.event, InvoiceEvent):
            policy_for(book, line.event)
    except (EventRejected, LookupError, ValueError) as error:
        line.event, line.result = None, f"rejected: {error.args[0]}"
    except Exception as error:  # never let one hostile line stop a batch: reject it, say what broke
        line.event, line.result = None, f"rejected: unreadable event ({type(error).__name__})"


async def submit(
    client: Client,
    event: Event,
    book: PolicyBook,
    visibility: bool = True,
    task_queue: str = TASK_QUEUE,
    history_events_per_run: int = HISTORY_EVENTS_PER_RUN,
) -> str:
    """Hand the event to its account's workflow. Returns what happened (one of RESULTS, with the reason)."""
    if isinstance(event, BillingEvent):
        return await submit_billing(client, event)
    policy, arm = start_for(book, event)
    handle = await client.start_workflow(
        CollectionWorkflow.run,
        CollectionInput(
            account_id=event.account_id,
            policy=policy,
            arm=arm,
            publish_search_attributes=visibility,
            continue_as_new_after=history_events_per_run,
        ),
        id=workflow_id(event.account_id),
        task_queue=task_queue,
        start_signal=INVOICE_OVERDUE,
        start_signal_args=[event],
    )
    if _started(handle):
        return "started"
    # The workflow was running: it decides joined, known, duplicate or conflict.
    return await _verdict(handle, event)


async def submit_billing(client: Client, event: BillingEvent) -> str:
    """invoice.paid or invoice.cancelled: a signal to the account's open workflow, which never starts one."""
    handle = client.get_workflow_handle(workflow_id(event.account_id))
    try:
        await handle.signal(BILLING_EVENT, event)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:  # none running: never started, or closed
            raise
        return f"rejected: no open account {event.account_id}"
    return await _verdict(handle, event)


async def _verdict(handle: WorkflowHandle, event: Event) -> str:
    """What the workflow made of the event it was just signalled: a query after the signal sees it applied. An event it
    did not record (None) was refused: the account is full."""
    try:
        outcome = await handle.query(EVENT_OUTCOME, args=[event.event_id, digest(event)], rpc_timeout=QUERY_TIMEOUT)
    except RPCError as error:
        if error.status not in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
            raise
        # The signal is durably recorded; only the verdict is unknown until a worker runs.
        return f"accepted (no worker answered within {QUERY_TIMEOUT.seconds}s: its result is not yet known)"
    if outcome == "conflict":
        return f"rejected: event id {event.event_id} was already used for a different event on this account"
    return f"rejected: {ACCOUNT_FULL}" if outcome in (None, "rejected") else outcome


def _started(handle: WorkflowHandle) -> bool:
    """SignalWithStart's response says whether a new run began; the SDK keeps it on the handle."""
    response = getattr(handle, "_start_workflow_response", None)
    return bool(getattr(response, "started", False))


async def ingest(
    client: Client,
    lines: list[Line],
    book: PolicyBook,
    on_result: Callable[[Line], None] = lambda line: None,
    concurrency: int = 64,
    visibility: bool = True,
    task_queue: str = TASK_QUEUE,
    history_events_per_run: int = HISTORY_EVENTS_PER_RUN,
) -> IngestReport:
    """Validate every line, then submit the valid ones: accounts in parallel, each account's events in order.
    `on_result` sees each line once its result is known, in input order."""
    for line in lines:
        validate(line, book)
    loop = asyncio.get_running_loop()
    pending = {line.number: loop.create_future() for line in lines if line.event}
    by_account: dict[str, list[Line]] = {}
    for line in lines:
        if line.event:
            by_account.setdefault(line.event.account_id, []).append(line)
    gate = asyncio.Semaphore(concurrency)

    async def run_account(account_lines: list[Line]) -> None:
        for line in account_lines:
            assert line.event is not None
            async with gate:
                try:
                    line.result = await submit(client, line.event, book, visibility, task_queue, history_events_per_run)
                except RPCError as error:
                    line.result = f"failed: {error.message}"
            pending[line.number].set_result(None)

    tasks = [asyncio.create_task(run_account(group)) for group in by_account.values()]
    for line in lines:
        if line.number in pending:
            await pending[line.number]
        on_result(line)
    await asyncio.gather(*tasks)
    return IngestReport(lines)


def write_rejects(report: IngestReport, path: Path) -> int:
    """The rejected lines, with line number and reason, one JSON object per line. Rewritten on every run."""
    rejected = [line for line in report.lines if line.result.startswith("rejected")]
    if rejected or path.exists():
        with path.open("w", encoding="utf-8") as out:
            for line in rejected:
                reason = line.result.removeprefix("rejected: ")
                out.write(
                    json.dumps({"line": line.number, "reason": reason, "raw": line.raw}, ensure_ascii=False) + "\n"
                )
    return len(rejected)
