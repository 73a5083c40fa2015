"""Feeds collection workflows.

python starter.py ingest FILE|-  [--rejects PATH]   start or join one workflow per account, per event
python starter.py status ACCOUNT [--json]           where an account stands and why
python starter.py pay ACCOUNT --payment-id ID --amount 100.00 --currency CNY [--received-at ISO]
"""

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import ValidationError
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from domain.events import EventRejected, InvoiceOverdue, PaymentReceived, describe, parse_overdue_event
from domain.policy import PolicyBook
from domain.status import AccountStatus
from settings import Settings
from workflows import EVENT_OUTCOME, INVOICE_OVERDUE, PAYMENT_RECEIVED, STATUS, TASK_QUEUE, workflow_id
from workflows.collection import CollectionInput, CollectionWorkflow

EXIT_FAILED, EXIT_REJECTED = 1, 2
QUERY_TIMEOUT = timedelta(seconds=10)


@dataclass
class Line:
    number: int
    raw: str
    event: InvoiceOverdue | None = None
    result: str = ""  # started | joined | duplicate | accepted (<why>) | rejected: <why> | failed: <why>

    def label(self) -> str:
        """event id and account id for the report, even from a line that failed validation."""
        if self.event:
            return f"{self.event.event_id}  {self.event.account_id}"
        try:
            data = json.loads(self.raw)
            return f"{str(data.get('event_id', '?'))[:40]}  {str(data.get('account_id', '?'))[:40]}"
        except (ValueError, AttributeError):
            return "?  ?"


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
        kinds = ("started", "joined", "duplicate", "accepted", "rejected", "failed")
        counts = ", ".join(f"{self.count(kind)} {kind}" for kind in kinds if self.count(kind))
        return f"{len(self.lines)} events: {counts or 'nothing to do'}"


def read_lines(source: Iterable[str]) -> list[Line]:
    return [Line(number, raw.rstrip("\n")) for number, raw in enumerate(source, start=1) if raw.strip()]


def validate(line: Line, book: PolicyBook) -> None:
    try:
        line.event = parse_overdue_event(line.raw)
        book.for_segment(line.event.debtor.segment)
    except (EventRejected, LookupError) as error:
        line.event, line.result = None, f"rejected: {error.args[0]}"


async def submit(
    client: Client, event: InvoiceOverdue, book: PolicyBook, visibility: bool = True, task_queue: str = TASK_QUEUE
) -> str:
    """Signal-with-start: starts the account's workflow, or joins the running one. Returns what happened."""
    handle = await client.start_workflow(
        CollectionWorkflow.run,
        CollectionInput(
            account_id=event.account_id,
            policy=book.for_segment(event.debtor.segment),
            publish_search_attributes=visibility,
        ),
        id=workflow_id(event.account_id),
        task_queue=task_queue,
        start_signal=INVOICE_OVERDUE,
        start_signal_args=[event],
    )
    if _started(handle):
        return "started"
    # The workflow was running: it decides joined or duplicate. A query after the signal sees the signal applied.
    try:
        return await handle.query(EVENT_OUTCOME, event.event_id, rpc_timeout=QUERY_TIMEOUT) or "joined"
    except RPCError as error:
        if error.status not in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
            raise
        # The signal is durably recorded; only the verdict is unknown until a worker runs.
        return f"accepted (no worker answered within {QUERY_TIMEOUT.seconds}s: joined or duplicate not yet known)"


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
                    line.result = await submit(client, line.event, book, visibility, task_queue)
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


def default_rejects_path(source: str) -> Path:
    if source == "-":
        return Path("stdin.rejects.jsonl")
    path = Path(source)
    return path.with_name(path.name.removesuffix(".jsonl") + ".rejects.jsonl")


def print_result(line: Line) -> None:
    print(f"line {line.number:>5}  {line.label()}  {line.result}", flush=True)


async def cmd_ingest(client: Client, args: argparse.Namespace, settings: Settings) -> int:
    book = PolicyBook(settings.policy_dir)
    if args.source == "-":
        lines = read_lines(sys.stdin)
    else:
        with open(args.source, encoding="utf-8") as source:
            lines = read_lines(source)
    report = await ingest(client, lines, book, on_result=print_result, task_queue=settings.task_queue)
    rejects = Path(args.rejects) if args.rejects else default_rejects_path(args.source)
    rejected = write_rejects(report, rejects)
    print(report.summary() + (f"; rejected lines written to {rejects}" if rejected else ""))
    return report.exit_code


async def cmd_status(client: Client, args: argparse.Namespace, _: Settings) -> int:
    handle = client.get_workflow_handle(workflow_id(args.account))
    status = await handle.query(STATUS, datetime.now(UTC), result_type=AccountStatus)
    print(status.model_dump_json(indent=2) if args.json else status.describe())
    return 0


async def cmd_pay(client: Client, args: argparse.Namespace, _: Settings) -> int:
    try:
        payment = PaymentReceived(
            payment_id=args.payment_id,
            amount=args.amount,
            currency=args.currency,
            received_at=args.received_at or datetime.now(UTC),
        )
    except ValidationError as error:
        print(f"rejected: {describe(error)}", file=sys.stderr)
        return EXIT_REJECTED
    await client.get_workflow_handle(workflow_id(args.account)).signal(PAYMENT_RECEIVED, payment)
    print(f"payment {payment.payment_id} of {payment.amount} {payment.currency} sent to account {args.account}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="command", required=True)
    ingest_cmd = commands.add_parser("ingest", help="start or join account workflows from invoice.overdue events")
    ingest_cmd.add_argument("source", help="a .jsonl file, or - for standard input")
    ingest_cmd.add_argument("--rejects", help="where rejected lines go (default: <input>.rejects.jsonl)")
    ingest_cmd.set_defaults(run=cmd_ingest)
    status_cmd = commands.add_parser("status", help="an account's stage, balance, next action and history")
    status_cmd.add_argument("account")
    status_cmd.add_argument("--json", action="store_true", help="machine-readable output")
    status_cmd.set_defaults(run=cmd_status)
    pay_cmd = commands.add_parser("pay", help="record a payment received (signal payment_received)")
    pay_cmd.add_argument("account")
    pay_cmd.add_argument("--payment-id", required=True)
    pay_cmd.add_argument("--amount", required=True, help='a decimal string such as "500.00"')
    pay_cmd.add_argument("--currency", required=True)
    pay_cmd.add_argument("--received-at", help="ISO 8601 with timezone (default: now)")
    pay_cmd.set_defaults(run=cmd_pay)
    return root


async def main(argv: list[str] | None = None, client: Client | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    if client is None:
        try:
            client = await settings.connect()
        except RuntimeError as error:
            print(
                f"cannot reach Temporal at {settings.temporal_address}: {error}\n"
                "Is the stack running? Start it with `make run` in another terminal.",
                file=sys.stderr,
            )
            return EXIT_FAILED
    try:
        return await args.run(client, args, settings)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            print(f"no collection workflow for account {args.account}", file=sys.stderr)
        else:
            print(f"Temporal error: {error.message}", file=sys.stderr)
        return EXIT_FAILED
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
