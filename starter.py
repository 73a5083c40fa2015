"""Feeds collection workflows.

python starter.py ingest FILE|-  [--rejects PATH]   billing events (docs/events.md): invoices start or join accounts
python starter.py status ACCOUNT [--json]           where an account stands and why
python starter.py pay ACCOUNT --payment-id ID --amount 100.00 --currency CNY [--received-at ISO]
python starter.py list [--stage S] [--segment S] [--min-dpd N] [--pending-approval] ... [--json]   the book
python starter.py aging [--json]                   counts and amounts per days-past-due bucket and stage

Operator commands are given in the name of the holder of the key in COLLECTIONS_KEY (a person's key, from
`collections staff key USERNAME`, or a machine key), with the roles the HTTP API asks for; the account's history
records their username. Every one takes --id COMMAND_ID (default: a fresh cli-<hex>, printed). Sending a command
again with the same --id applies it once. Updates answer with the account's status (--json: as JSON); signals are
facts, recorded when the workflow next runs.

  promise ACCOUNT --amount 5000.00 --currency CNY --date 2026-12-05           update promise_to_pay
  plan ACCOUNT --currency CNY --installment 4000.00:2026-12-01 ...            update agree_installment_plan
  dispute ACCOUNT --reason TEXT [--invoice INV-1 ...]                        update open_dispute
  resolve-dispute ACCOUNT DISPUTE_ID --upheld|--rejected [--adjustment 100.00] [--note TEXT]
                                                                             update resolve_dispute
  update-contact ACCOUNT [--phone +8613800000000] [--email a@b.example]       update update_contact
  pause ACCOUNT --reason TEXT --until 2026-12-01T00:00:00+08:00               update pause
  resume ACCOUNT [--reason TEXT]                                             update resume
  confirm-balance ACCOUNT --confirmed|--rejected [--reason TEXT] [--invoice INV-1 ...] [--evidence REF]
                                                                             update confirm_balance
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
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client, RPCTimeoutOrCancelledError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from tqdm import tqdm

import edge.client
from book import Filters, aging, list_accounts
from cli import CannotAct, command, flag, operator, params_of, parse
from domain.bounds import EDGE, check_happened
from domain.commands import Command
from domain.events import PaymentReceived, describe
from domain.rerouting import CommandConflict
from domain.status import AccountStatus
from edge.client import new_command_id, pay, query_status, send
from edge.identity import Identity, identity_fields
from edge.ingest import EXIT_FAILED, EXIT_REJECTED, Line, ingest, read_lines, write_rejects
from edge.operations import OPERATIONS, Operation
from edge.work import sync
from settings import ConfigError, Settings, exit_now
from store.repository import Store
from terminal import escaping_output, render_table


def default_rejects_path(source: str) -> Path:
    if source == "-":
        return Path("stdin.rejects.jsonl")
    path = Path(source)
    return path.with_name(path.name.removesuffix(".jsonl") + ".rejects.jsonl")


def result_line(line: Line) -> str:
    return f"line {line.number:>5}  {line.label()}  {line.result}"


async def cmd_ingest(client: Client, args: argparse.Namespace, settings: Settings) -> int:
    book = settings.policies()
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
    status = await query_status(client, args.account)
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
    try:
        await pay(client, args.account, payment)
    except CommandConflict as conflict:
        return rejected(str(conflict))
    print(f"payment {payment.payment_id} of {payment.amount} {payment.currency} sent to account {args.account}")
    return 0


def rejected(reason: str) -> int:
    print(f"rejected: {reason}", file=sys.stderr)
    return EXIT_REJECTED


def build_command(args: argparse.Namespace, identity: Identity) -> Command:
    """The operator command's payload, given by `identity`, validated. Raises ValueError (a ValidationError among
    them)."""
    operation: Operation = args.operation
    fields = {name: value for name, value in operation.fields(args).items() if value is not None}
    given = {"command_id": args.id or new_command_id("cli"), **fields, **identity_fields(operation.model, identity)}
    command = operation.model.model_validate(given, context=EDGE)
    check_happened(command, datetime.now(UTC))
    return command


async def cmd_operation(client: Client, args: argparse.Namespace, settings: Settings) -> int:
    """Any operator command, validated by `main` before it connects: its update (answered with the status) or
    its signal."""
    operation: Operation = args.operation
    command: Command = args.payload
    try:
        status = await send(client, args.account, operation, command)
    except CommandConflict as conflict:
        return rejected(str(conflict))
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        return rejected(cause.message if isinstance(cause, ApplicationError) else str(cause))
    except (TimeoutError, RPCTimeoutOrCancelledError):
        waited = edge.client.UPDATE_TIMEOUT.seconds
        print(
            f"no worker answered {args.command} (id {command.command_id}) within {waited}s: is the "
            f"worker running? It may still apply when one does; check `status`, or repeat with --id "
            f"{command.command_id} (it applies once)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if status is None:  # a signal: a fact the workflow records when it next runs
        print(f"{args.command} sent (id {command.command_id})")
        return 0
    accepted = f"{args.command} accepted (id {command.command_id})"
    if args.json:  # standard output stays one JSON document
        print(accepted, file=sys.stderr)
        print(status.model_dump_json(indent=2))
    else:
        print(accepted)
        print(status.describe())
    await asyncio.to_thread(close_done_tasks, settings, status, command.by)
    return 0


def close_done_tasks(settings: Settings, status: AccountStatus, by: str) -> None:
    """Close the work queue's task rows the status says are done (`edge.work.sync`), as the API does after a command:
    a call recorded here closes its task in the queue too. The command has applied whatever happens here, so a store
    that cannot be reached is only noted on stderr (the next command on the account closes them)."""
    try:
        store = Store.open(settings.database_url)
    except (SQLAlchemyError, OSError) as error:
        print(f"the work queue was not updated: {str(error).splitlines()[0]}", file=sys.stderr)
        return
    try:
        sync(store, status, by)
    except SQLAlchemyError as error:
        print(f"the work queue was not updated: {str(error).splitlines()[0]}", file=sys.stderr)
    finally:
        store.close()


def operation_command(name: str, operation: Operation) -> click.Command:
    """The command of one row of the operations table: its arguments, then --id and, for updates, --json."""
    params, check = params_of(operation.arguments)
    params = [click.Argument(["account"]), *params,
              click.Option(["--id"], metavar="COMMAND_ID",
                           help="the command's id (default: a fresh cli-<hex>); the same id applies once")]  # fmt: skip
    if operation.kind == "update":
        params.append(flag("--json", help="the resulting status as JSON"))
    help = f"{operation.help} ({operation.kind} {operation.message})"

    def checked(values: dict[str, Any]) -> None:
        check(values)
        values["operation"] = operation

    return command(name, cmd_operation, help, params, checked)


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


def decimal_arg(_context: click.Context, _parameter: click.Parameter, text: str | None) -> Decimal | None:
    """An amount argument, refused as a usage error when it is not one (Decimal's own error is no ValueError)."""
    if text is None:
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        raise click.BadParameter(f"not an amount: {text[:40]!r}") from None


def commands() -> click.Group:
    """The book and the account commands: `starter.py COMMAND ...`, and `collections COMMAND ...`."""
    book = [
        command("ingest", cmd_ingest, "billing events: invoices start or join accounts, payments and cancellations "
                "apply (docs/events.md)", [
            click.Argument(["source"]),
            click.Option(["--rejects"], help="where rejected lines go (default: <input>.rejects.jsonl)"),
            flag("--progress", help="show the progress bar even when not a terminal")]),
        command("status", cmd_status, "an account's stage, balance, next action and history", [
            click.Argument(["account"]), flag("--json", help="machine-readable output")]),
        command("list", cmd_list, "accounts in the book, filtered (Temporal visibility)", [
            click.Option(["--stage"]), click.Option(["--segment"]),
            click.Option(["--min-outstanding"], callback=decimal_arg),
            click.Option(["--max-outstanding"], callback=decimal_arg),
            click.Option(["--min-dpd"], type=int, help="at least this many days past due"),
            click.Option(["--max-dpd"], type=int, help="at most this many days past due"),
            flag("--pending-approval", help="only those awaiting one", default=None),
            flag("--closed", help="include closed accounts"),
            flag("--stuck", help="only accounts whose workflow tasks keep failing"),
            click.Option(["--page-size"], type=int, default=50),
            click.Option(["--cursor"], help="the next page, as printed by the previous one"),
            flag("--json", help="machine-readable output")]),
        command("aging", cmd_aging, "the aging report: buckets and stages per currency", [
            flag("--json", help="machine-readable output")]),
        command("pay", cmd_pay, "record a payment received (signal payment_received)", [
            click.Argument(["account"]), click.Option(["--payment-id"], required=True),
            click.Option(["--amount"], required=True, help='a decimal string such as "500.00"'),
            click.Option(["--currency"], required=True),
            click.Option(["--received-at"], help="ISO 8601 with timezone (default: now)")]),
    ]  # fmt: skip
    group = click.Group(
        "starter.py",
        commands=book,
        help="The book and the account commands; `COMMAND --help` for each. Account commands are given in the name "
        "of the holder of the key in COLLECTIONS_KEY, and take --id COMMAND_ID: the same id applies once.",
    )
    for name, operation in OPERATIONS.items():
        group.add_command(operation_command(name, operation))
    return group


@escaping_output
async def main(argv: list[str] | None = None, client: Client | None = None) -> int:
    """`starter.py COMMAND ...`: parse, then run the command (with `client`, or one connected from the settings)."""
    args = parse(commands(), argv, "starter.py")
    return args if isinstance(args, int) else await execute(args, client)


async def execute(args: argparse.Namespace, client: Client | None = None) -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_FAILED
    if "operation" in args:  # an operator command: who gives it, and a malformed one refused before connecting
        try:
            identity = await asyncio.to_thread(operator, settings, args.operation.roles, args.command)
            args.payload = build_command(args, identity)
        except CannotAct as error:
            print(error, file=sys.stderr)
            return error.exit_code
        except ValidationError as error:
            return rejected(describe(error))
        except ValueError as error:
            return rejected(str(error))
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
