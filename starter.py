"""Feeds collection workflows.

python starter.py ingest FILE|-  [--rejects PATH]   start or join one workflow per account, per event
python starter.py status ACCOUNT [--json]           where an account stands and why
python starter.py pay ACCOUNT --payment-id ID --amount 100.00 --currency CNY [--received-at ISO]
python starter.py list [--stage S] [--segment S] [--min-dpd N] [--pending-approval] ... [--json]   the book
python starter.py aging [--json]                   counts and amounts per days-past-due bucket and stage

Operator commands: every one takes --by NAME (who gives it) and --id COMMAND_ID (default: a fresh cli-<hex>,
printed). Sending a command again with the same --id applies it once. Updates answer with the account's status
(--json: as JSON); signals are facts, recorded when the workflow next runs.

  promise ACCOUNT --amount 5000.00 --currency CNY --date 2026-12-05           update promise_to_pay
  plan ACCOUNT --currency CNY --installment 4000.00:2026-12-01 ...            update agree_installment_plan
  dispute ACCOUNT --reason TEXT [--invoice INV-1 ...]                        update open_dispute
  resolve-dispute ACCOUNT DISPUTE_ID --upheld|--rejected [--adjustment 100.00] [--note TEXT]
                                                                             update resolve_dispute
  update-contact ACCOUNT [--phone +8613800000000] [--email a@b.example]       update update_contact
  pause ACCOUNT --reason TEXT --until 2026-12-01T00:00:00+08:00               update pause
  resume ACCOUNT [--reason TEXT]                                             update resume
  cease-communication ACCOUNT --reason TEXT                                  update cease_communication
  override-limitation ACCOUNT --reason TEXT                                  update override_limitation
  write-off ACCOUNT --reason TEXT                                            update write_off
  approve ACCOUNT STEP --reason TEXT                                         update approve_action
  reject ACCOUNT STEP --reason TEXT                                          update reject_action
  bankruptcy ACCOUNT [--case-reference REF] [--note TEXT]                    signal report_bankruptcy
  contact-outcome ACCOUNT --channel phone|email --result reached|no_answer|wrong_number|refused [--at ISO]
                                                                             signal contact_outcome
  legal-outcome ACCOUNT --outcome settled|judgment|withdrawn|uncollectable [--note TEXT]
                                                                             signal legal_outcome
"""

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args

from pydantic import ValidationError
from temporalio.client import (
    Client,
    RPCTimeoutOrCancelledError,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from tqdm import tqdm

import workflows as names
from book import Filters, aging, list_accounts
from domain.account import ACCOUNT_FULL
from domain.bounds import check_happened
from domain.commands import (
    AgreeInstallmentPlan,
    ApprovalDecision,
    CeaseCommunication,
    Command,
    ContactOutcome,
    ContactResult,
    LegalOutcome,
    MigratePolicy,
    OpenDispute,
    OverrideLimitation,
    Pause,
    PromiseToPay,
    ReportBankruptcy,
    ResolveDispute,
    Resume,
    UpdateContact,
    WriteOff,
    digest,
)
from domain.events import EventRejected, InvoiceOverdue, PaymentReceived, describe, parse_overdue_event
from domain.policy import PolicyBook
from domain.status import AccountStatus
from settings import ConfigError, Settings, exit_now
from terminal import escaping_output
from workflows import (
    EVENT_OUTCOME,
    HISTORY_EVENTS_PER_RUN,
    INVOICE_OVERDUE,
    MESSAGE_DIGEST,
    PAYMENT_RECEIVED,
    STATUS,
    TASK_QUEUE,
    workflow_id,
)
from workflows.collection import CollectionWorkflow
from workflows.inputs import CollectionInput

EXIT_FAILED, EXIT_REJECTED = 1, 2
QUERY_TIMEOUT = timedelta(seconds=10)
UPDATE_TIMEOUT = timedelta(seconds=30)  # an update needs a worker to validate and apply it


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
        kinds = ("started", "joined", "duplicate", "accepted", "rejected", "failed")
        counts = ", ".join(f"{self.count(kind)} {kind}" for kind in kinds if self.count(kind))
        return f"{len(self.lines)} events: {counts or 'nothing to do'}"


def read_lines(source: Iterable[str]) -> list[Line]:
    return [Line(number, raw.rstrip("\n")) for number, raw in enumerate(source, start=1) if raw.strip()]


def validate(line: Line, book: PolicyBook) -> None:
    try:
        line.event = parse_overdue_event(line.raw)
        check_happened(line.event, datetime.now(UTC))
        book.for_segment(line.event.debtor.segment)
    except (EventRejected, LookupError, ValueError) as error:
        line.event, line.result = None, f"rejected: {error.args[0]}"
    except Exception as error:  # never let one hostile line stop a batch: reject it, say what broke
        line.event, line.result = None, f"rejected: unreadable event ({type(error).__name__})"


async def submit(
    client: Client,
    event: InvoiceOverdue,
    book: PolicyBook,
    visibility: bool = True,
    task_queue: str = TASK_QUEUE,
    history_events_per_run: int = HISTORY_EVENTS_PER_RUN,
) -> str:
    """Signal-with-start: starts the account's workflow, or joins the running one. Returns what happened."""
    handle = await client.start_workflow(
        CollectionWorkflow.run,
        CollectionInput(
            account_id=event.account_id,
            policy=book.for_segment(event.debtor.segment),
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
    # The workflow was running: it decides joined, duplicate or conflict. A query after the signal sees the signal
    # applied; an event it did not record (None) was refused: the account is full.
    try:
        outcome = await handle.query(EVENT_OUTCOME, args=[event.event_id, digest(event)], rpc_timeout=QUERY_TIMEOUT)
        if outcome == "conflict":
            return f"rejected: event id {event.event_id} was already used for a different event on this account"
        return f"rejected: {ACCOUNT_FULL}" if outcome in (None, "rejected") else outcome
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


def default_rejects_path(source: str) -> Path:
    if source == "-":
        return Path("stdin.rejects.jsonl")
    path = Path(source)
    return path.with_name(path.name.removesuffix(".jsonl") + ".rejects.jsonl")


def result_line(line: Line) -> str:
    return f"line {line.number:>5}  {line.label()}  {line.result}"


async def cmd_ingest(client: Client, args: argparse.Namespace, settings: Settings) -> int:
    book = PolicyBook(settings.policy_dir)
    if args.source == "-":
        lines = read_lines(sys.stdin)
    else:
        with open(args.source, encoding="utf-8") as source:
            lines = read_lines(source)
    # A progress bar on a terminal (or with --progress), written to stderr: the per-event lines stay on stdout.
    with tqdm(
        total=len(lines), unit="event", file=sys.stderr, disable=not (args.progress or sys.stderr.isatty())
    ) as bar:

        def on_result(line: Line) -> None:
            bar.write(result_line(line), file=sys.stdout)
            bar.update(1)

        report = await ingest(client, lines, book, on_result=on_result, task_queue=settings.task_queue,
                              history_events_per_run=settings.history_events_per_run)  # fmt: skip
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
        check_happened(payment, datetime.now(UTC))
    except ValidationError as error:
        return rejected(describe(error))
    except ValueError as error:
        return rejected(str(error))
    handle = client.get_workflow_handle(workflow_id(args.account))
    conflict = await known_conflict(handle, payment)
    if conflict:
        return rejected(conflict)
    await handle.signal(PAYMENT_RECEIVED, payment)
    print(f"payment {payment.payment_id} of {payment.amount} {payment.currency} sent to account {args.account}")
    return 0


class Arg(NamedTuple):
    """One add_argument call."""

    flags: tuple[str, ...]
    options: dict[str, Any]


def arg(*flags: str, **options: Any) -> Arg:
    return Arg(flags, options)


class OneOf(NamedTuple):
    """Arguments of which exactly one must be given."""

    args: tuple[Arg, ...]


@dataclass(frozen=True)
class Operation:
    """An operator command: the workflow message it becomes, its arguments, and how they make the payload.
    `fields` builds the model's fields (None: the model's default) besides `command_id` and `by`; it may raise
    ValueError for an argument it cannot read."""

    message: str
    kind: Literal["update", "signal"]
    model: type[Command]
    fields: Callable[[argparse.Namespace], dict[str, Any]]
    help: str
    arguments: tuple[Arg | OneOf, ...] = ()


def choices(model: type[Command], name: str) -> tuple[str, ...]:
    """The values of a Literal field, so that --help lists them and argparse checks them."""
    return get_args(model.model_fields[name].annotation)


def installment(text: str) -> dict[str, str]:
    amount, colon, due_date = text.partition(":")
    if not (colon and amount and due_date):
        raise ValueError(f"installment {text[:40]!r}: expected AMOUNT:DATE such as 4000.00:2026-12-01")
    return {"amount": amount, "due_date": due_date}


AMOUNT_HELP = 'a decimal string such as "5000.00"'
REASON = arg("--reason", required=True, help="why (recorded in the account's history)")
NOTE = arg("--note", help="free text for the history")
STEP = arg("step", help="the policy step awaiting approval, as in `status` (for example d091-issue_lawyer_letter)")

OPERATIONS: dict[str, Operation] = {
    "promise": Operation(
        names.PROMISE_TO_PAY, "update", PromiseToPay,
        lambda a: {"amount": a.amount, "currency": a.currency, "promised_date": a.date},
        "the debtor promises an amount by a date",
        (arg("--amount", required=True, help=AMOUNT_HELP), arg("--currency", required=True),
         arg("--date", required=True, help="the promised date, YYYY-MM-DD (the debtor's calendar)")),
    ),
    "plan": Operation(
        names.AGREE_INSTALLMENT_PLAN, "update", AgreeInstallmentPlan,
        lambda a: {"currency": a.currency, "installments": [installment(t) for t in a.installment]},
        "the balance paid in installments",
        (arg("--currency", required=True),
         arg("--installment", required=True, action="append", metavar="AMOUNT:DATE",
             help="one installment, such as 4000.00:2026-12-01; repeat for each, in date order")),
    ),
    "dispute": Operation(
        names.OPEN_DISPUTE, "update", OpenDispute,
        lambda a: {"reason": a.reason, "invoice_ids": a.invoice},
        "the debtor contests invoices (none named: the whole balance); the dispute's id is the command id",
        (REASON, arg("--invoice", action="append", metavar="INVOICE_ID", help="a disputed invoice; repeatable")),
    ),
    "resolve-dispute": Operation(
        names.RESOLVE_DISPUTE, "update", ResolveDispute,
        lambda a: {"dispute_id": a.dispute_id, "resolution": a.resolution, "adjustment": a.adjustment,
                   "note": a.note},
        "upheld: cancel the disputed amount (or reduce it by --adjustment); rejected: collection resumes",
        (arg("dispute_id", metavar="DISPUTE_ID", help="the id the `dispute` command was accepted with"),
         OneOf((arg("--upheld", dest="resolution", action="store_const", const="upheld"),
                arg("--rejected", dest="resolution", action="store_const", const="rejected"))),
         arg("--adjustment", help="upheld: reduce by this much instead of cancelling, " + AMOUNT_HELP), NOTE),
    ),
    "update-contact": Operation(
        names.UPDATE_CONTACT, "update", UpdateContact,
        lambda a: {"phone": a.phone, "email": a.email},
        "new contact details (ends lost contact)",
        (arg("--phone", help="E.164, such as +8613800000000"), arg("--email")),
    ),
    "pause": Operation(
        names.PAUSE, "update", Pause,
        lambda a: {"reason": a.reason, "until": a.until},
        "stop all contact until a time",
        (REASON, arg("--until", required=True, help="ISO 8601 with timezone, such as 2026-12-01T00:00:00+08:00")),
    ),
    "resume": Operation(
        names.RESUME, "update", Resume,
        lambda a: {"reason": a.reason},
        "end a pause now",
        (arg("--reason", help="why (recorded in the account's history)"),),
    ),
    "cease-communication": Operation(
        names.CEASE_COMMUNICATION, "update", CeaseCommunication,
        lambda a: {"reason": a.reason},
        "the debtor asks us to stop contacting them: no SMS, email, letter, call or visit from now on",
        (REASON,),
    ),
    "override-limitation": Operation(
        names.OVERRIDE_LIMITATION, "update", OverrideLimitation,
        lambda a: {"reason": a.reason},
        "allow legal action on a time-barred debt (a supervisor's decision, with its reason)",
        (REASON,),
    ),
    "migrate-policy": Operation(
        names.MIGRATE_POLICY, "update", MigratePolicy,
        lambda a: {"policy": PolicyBook(Settings.from_env().policy_dir).by_name(a.policy), "reason": a.reason,
                   "mapping": "restart_at_stage" if a.restart_at else "keep_day", "stage": a.restart_at},
        "move the account to the current version of a policy (policies/*.toml), keeping its day or restarting a stage",
        (arg("--policy", required=True, help="the policy's name, for example standard"),
         arg("--restart-at", help="restart the ladder at this stage of the new policy (default: keep the day)"),
         REASON),
    ),
    "write-off": Operation(
        names.WRITE_OFF, "update", WriteOff,
        lambda a: {"reason": a.reason},
        "close the account as written off",
        (REASON,),
    ),
    "approve": Operation(
        names.APPROVE_ACTION, "update", ApprovalDecision,
        lambda a: {"step": a.step, "reason": a.reason},
        "approve a step that waits for approval",
        (STEP, REASON),
    ),
    "reject": Operation(
        names.REJECT_ACTION, "update", ApprovalDecision,
        lambda a: {"step": a.step, "reason": a.reason},
        "reject a step that waits for approval (the ladder stays below its stage)",
        (STEP, REASON),
    ),
    "bankruptcy": Operation(
        names.REPORT_BANKRUPTCY, "signal", ReportBankruptcy,
        lambda a: {"case_reference": a.case_reference, "note": a.note},
        "the debtor is bankrupt: contact stops, the claim goes to legal, the account closes",
        (arg("--case-reference", help="the court's case reference"), NOTE),
    ),
    "contact-outcome": Operation(
        names.CONTACT_OUTCOME, "signal", ContactOutcome,
        lambda a: {"channel": a.channel, "result": a.result, "at": a.at or datetime.now(UTC)},
        "what happened when we tried to reach the debtor",
        (arg("--channel", required=True, choices=choices(ContactOutcome, "channel")),
         arg("--result", required=True, choices=get_args(ContactResult)),
         arg("--at", help="when, ISO 8601 with timezone (default: now)")),
    ),
    "legal-outcome": Operation(
        names.LEGAL_OUTCOME, "signal", LegalOutcome,
        lambda a: {"outcome": a.outcome, "note": a.note},
        "how the case handed to legal ended",
        (arg("--outcome", required=True, choices=choices(LegalOutcome, "outcome")), NOTE),
    ),
}  # fmt: skip


def new_command_id() -> str:
    return f"cli-{uuid.uuid4().hex[:12]}"


def rejected(reason: str) -> int:
    print(f"rejected: {reason}", file=sys.stderr)
    return EXIT_REJECTED


def build_command(args: argparse.Namespace) -> Command:
    """The operator command's payload, validated. Raises ValueError (a ValidationError among them)."""
    operation: Operation = args.operation
    fields = {name: value for name, value in operation.fields(args).items() if value is not None}
    command = operation.model.model_validate({"command_id": args.id or new_command_id(), "by": args.by, **fields})
    check_happened(command, datetime.now(UTC))
    return command


async def known_conflict(handle: WorkflowHandle, message: Command | PaymentReceived) -> str | None:
    """Why sending `message` as a signal would conflict with what its id was already used for on the account, if
    it would. Signals cannot be refused to their sender: this asks first, so the sender hears of it. Without an
    answer (no worker, a failing query) the signal goes anyway, and the workflow records the conflict as refused.
    Updates need no such question: their validators refuse a conflict."""
    kind, message_id = (
        ("payment", message.payment_id) if isinstance(message, PaymentReceived) else ("command", message.command_id)
    )
    try:
        known = await handle.query(MESSAGE_DIGEST, args=[kind, message_id], rpc_timeout=QUERY_TIMEOUT)
    except (RPCTimeoutOrCancelledError, WorkflowQueryFailedError):
        return None
    except RPCError as error:
        if error.status in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
            return None
        raise
    if known is None or known == digest(message):
        return None
    return f"{kind} id {message_id} was already used for a different {kind} on this account"


async def cmd_operation(client: Client, args: argparse.Namespace, _: Settings) -> int:
    """Any operator command, validated by `main` before it connects: its update (answered with the status) or
    its signal."""
    operation: Operation = args.operation
    command: Command = args.payload
    handle = client.get_workflow_handle(workflow_id(args.account))
    if operation.kind == "signal":
        conflict = await known_conflict(handle, command)
        if conflict:
            return rejected(conflict)
        await handle.signal(operation.message, command)
        print(f"{args.command} sent (id {command.command_id})")
        return 0
    try:
        async with asyncio.timeout(UPDATE_TIMEOUT.total_seconds()):
            status = await handle.execute_update(operation.message, command, result_type=AccountStatus)
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        return rejected(cause.message if isinstance(cause, ApplicationError) else str(cause))
    except (TimeoutError, RPCTimeoutOrCancelledError):
        print(
            f"no worker answered {args.command} (id {command.command_id}) within {UPDATE_TIMEOUT.seconds}s: is the "
            f"worker running? It may still apply when one does; check `status`, or repeat with --id "
            f"{command.command_id} (it applies once)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    accepted = f"{args.command} accepted (id {command.command_id})"
    if args.json:  # standard output stays one JSON document
        print(accepted, file=sys.stderr)
        print(status.model_dump_json(indent=2))
    else:
        print(accepted)
        print(status.describe())
    return 0


def add_operation(commands: Any, name: str, operation: Operation) -> None:
    sub = commands.add_parser(name, help=f"{operation.help} ({operation.kind} {operation.message})")
    sub.add_argument("account")
    for spec in operation.arguments:
        if isinstance(spec, OneOf):
            group = sub.add_mutually_exclusive_group(required=True)
            for one in spec.args:
                group.add_argument(*one.flags, **one.options)
        else:
            sub.add_argument(*spec.flags, **spec.options)
    sub.add_argument("--by", required=True, help="who gives the command: a collector, a supervisor, a system")
    sub.add_argument(
        "--id", metavar="COMMAND_ID", help="the command's id (default: a fresh cli-<hex>); the same id applies once"
    )
    if operation.kind == "update":
        sub.add_argument("--json", action="store_true", help="the resulting status as JSON")
    sub.set_defaults(run=cmd_operation, operation=operation)


async def cmd_list(client: Client, args: argparse.Namespace, settings: Settings) -> int:
    """The book, filtered, one page at a time (from Temporal visibility: see book.py)."""
    filters = Filters(
        stage=args.stage, segment=args.segment, min_outstanding=args.min_outstanding,
        max_outstanding=args.max_outstanding, min_days_past_due=args.min_dpd, max_days_past_due=args.max_dpd,
        pending_approval=args.pending_approval, include_closed=args.closed, task_queue=settings.task_queue,
        stuck=args.stuck,
    )  # fmt: skip
    try:
        rows, cursor = await list_accounts(client, filters, page_size=args.page_size, cursor=args.cursor)
    except ValueError as error:  # a filter out of the book's bounds, or a cursor not ours
        return rejected(str(error))
    if args.json:
        print(json.dumps({"accounts": [asdict(r) for r in rows], "next_cursor": cursor}, default=str, indent=2))
        return 0
    header = ("account", "stage", "segment", "outstanding", "days", "oldest due", "approval", "")
    table = [
        (r.account_id, r.stage, r.segment or "-", f"{r.outstanding} {r.currency}", str(r.days_past_due or "-"),
         str(r.oldest_due or "-"), "pending" if r.pending_approval else "", "STUCK" if r.stuck else "")
        for r in rows
    ]  # fmt: skip
    print(render_table(header, table))
    print(f"{len(rows)} account(s)" + (f"; next page: --cursor={cursor}" if cursor else ""))
    return 0


async def cmd_aging(client: Client, args: argparse.Namespace, settings: Settings) -> int:
    """Counts and amounts per days-past-due bucket and per stage, per currency, over the open book."""
    report = await aging(client, filters=Filters(task_queue=settings.task_queue))
    if args.json:
        print(report.model_dump_json(indent=2))
        return 0
    for currency in report.buckets:
        rows = [(name, str(t.count), str(t.amount)) for name, t in report.buckets[currency].items()]
        total = report.total(currency)
        rows.append(("total", str(total.count), str(total.amount)))
        print(f"{currency} by days past due (as of {report.as_of})")
        print(render_table(("bucket", "accounts", "amount"), rows))
        stages = [(stage, str(t.count), str(t.amount)) for stage, t in report.stages[currency].items()]
        print(f"{currency} by stage")
        print(render_table(("stage", "accounts", "amount"), stages) + "\n")
    if not report.buckets:
        print("no open accounts")
    return 0


def render_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell; numbers right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if _is_number(c) else c.ljust(w) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    return "\n".join([line(header), line(tuple("-" * w for w in widths)), *(line(r) for r in rows)])


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell.split(" ")[0])
    except ArithmeticError:
        return False
    return True


def decimal_arg(text: str) -> Decimal:
    """An amount argument: argparse reports a bad one (Decimal's own error is no ValueError it knows)."""
    try:
        return Decimal(text)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not an amount: {text[:40]!r}") from None


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="command", required=True)
    ingest_cmd = commands.add_parser("ingest", help="start or join account workflows from invoice.overdue events")
    ingest_cmd.add_argument("source", help="a .jsonl file, or - for standard input")
    ingest_cmd.add_argument("--rejects", help="where rejected lines go (default: <input>.rejects.jsonl)")
    ingest_cmd.add_argument("--progress", action="store_true", help="show the progress bar even when not a terminal")
    ingest_cmd.set_defaults(run=cmd_ingest)
    status_cmd = commands.add_parser("status", help="an account's stage, balance, next action and history")
    status_cmd.add_argument("account")
    status_cmd.add_argument("--json", action="store_true", help="machine-readable output")
    status_cmd.set_defaults(run=cmd_status)
    list_cmd = commands.add_parser("list", help="accounts in the book, filtered (Temporal visibility)")
    list_cmd.add_argument("--stage")
    list_cmd.add_argument("--segment")
    list_cmd.add_argument("--min-outstanding", type=decimal_arg)
    list_cmd.add_argument("--max-outstanding", type=decimal_arg)
    list_cmd.add_argument("--min-dpd", type=int, help="at least this many days past due")
    list_cmd.add_argument("--max-dpd", type=int, help="at most this many days past due")
    list_cmd.add_argument("--pending-approval", action="store_true", default=None, help="only those awaiting one")
    list_cmd.add_argument("--closed", action="store_true", help="include closed accounts")
    list_cmd.add_argument("--stuck", action="store_true", help="only accounts whose workflow tasks keep failing")
    list_cmd.add_argument("--page-size", type=int, default=50)
    list_cmd.add_argument("--cursor", help="the next page, as printed by the previous one")
    list_cmd.add_argument("--json", action="store_true")
    list_cmd.set_defaults(run=cmd_list)
    aging_cmd = commands.add_parser("aging", help="the aging report: buckets and stages per currency")
    aging_cmd.add_argument("--json", action="store_true")
    aging_cmd.set_defaults(run=cmd_aging)
    pay_cmd = commands.add_parser("pay", help="record a payment received (signal payment_received)")
    pay_cmd.add_argument("account")
    pay_cmd.add_argument("--payment-id", required=True)
    pay_cmd.add_argument("--amount", required=True, help='a decimal string such as "500.00"')
    pay_cmd.add_argument("--currency", required=True)
    pay_cmd.add_argument("--received-at", help="ISO 8601 with timezone (default: now)")
    pay_cmd.set_defaults(run=cmd_pay)
    for name, operation in OPERATIONS.items():
        add_operation(commands, name, operation)
    return root


@escaping_output
async def main(argv: list[str] | None = None, client: Client | None = None) -> int:
    args = parser().parse_args(argv)
    if "operation" in args:  # an operator command: reject a malformed one before connecting
        try:
            args.payload = build_command(args)
        except ValidationError as error:
            return rejected(describe(error))
        except ValueError as error:
            return rejected(str(error))
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_FAILED
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
        if error.status == RPCStatusCode.NOT_FOUND and "already completed" in error.message:
            # Too late for a command or a payment: the validators say the same while the account closes.
            return rejected(f"account {args.account} is closed: its collection workflow has completed (see status)")
        if error.status == RPCStatusCode.NOT_FOUND:
            print(f"no collection workflow for account {args.account}", file=sys.stderr)
        else:
            print(f"Temporal error: {error.message}", file=sys.stderr)
        return EXIT_FAILED
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    exit_now(asyncio.run(main()))
