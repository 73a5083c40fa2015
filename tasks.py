"""The work queue on the command line (`GET /v1/tasks` and its verbs, the same rules), as the holder of the key in
COLLECTIONS_KEY:

  collections tasks [--scope mine|team|all] [--kind K] [--state open|done|cancelled] [--overdue] [--account ID]
                    [--cursor C] [--limit N] [--json]            the queue, most valuable first
  collections task show ID [--json]                             one task, with its instructions
  collections task claim ID                                     take it from your pool
  collections task release ID                                   give it back to its pool
  collections task reassign ID --to USERNAME                    a lead gives it to somebody
  collections task done ID ...                                  record what was done; the account follows
    a call or a visit:  --call RESULT | --visit RESULT  [--at ISO] [--minutes N] [--notes TEXT] [--agreed TEXT]
                        [--evidence REF] [--callback ISO] and what the debtor agreed, if anything:
                        --promise AMOUNT:CURRENCY:DATE | --plan-currency C --installment AMOUNT:DATE ...
                        | --dispute REASON [--invoice ID ...]
    an approval:        --approve | --reject, with --reason TEXT
    a dispute review:   --upheld | --rejected [--adjustment AMOUNT] [--note TEXT]
    any other task:     --outcome TEXT [--note TEXT]     (a notice is acknowledged: --outcome is optional)

`python tasks.py list|show|claim|release|reassign|done ...` are the same commands.

`mine` is what you hold and the unheld tasks of your role's pools in your team; `team` and `all`, and reassigning, are
for leads. A task held by somebody else is theirs until a lead reassigns or releases it. Completing a task sends what
its kind needs to the account's workflow (`edge.work.work`, as the API does), which validates it as the same command
from the account page; the task closes when the account's status says its work is done.

Exit codes, as the account commands': 0 done; 2 refused with the reason (a usage error, COLLECTIONS_KEY missing or of
a role that may not, a task held by somebody else or already closed, the workflow's refusal such as the day's call
cap); 1 no such task, the database or Temporal unreachable, no worker answering in time."""

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from typing import Any, get_args

import click
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client, RPCTimeoutOrCancelledError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

import edge.client
from cli import CannotAct, command, flag, operator, parse
from domain.commands import CallResult, VisitResult
from domain.events import describe as reason_of
from domain.people import LEADS, POOLS
from domain.rerouting import CommandConflict
from domain.status import AccountStatus
from edge.client import new_command_id
from edge.identity import Identity
from edge.operations import agreed_in_contact
from edge.work import WORKERS, TaskView, completion, may_see, viewer, work
from settings import ConfigError, Settings, exit_now
from store import queue
from store.errors import Conflict, NotFound
from store.models import Task
from store.repository import Store
from terminal import escaping_output, render_table

EXIT_REJECTED, EXIT_FAILED = 2, 1
SCOPES = ("mine", "team", "all")
STATES = ("open", "done", "cancelled")
# `task done`'s options for a call or a visit (record-contact's), besides --call/--visit themselves.
CONTACT_OPTIONS = ("at", "minutes", "notes", "agreed", "evidence", "callback", "promise", "plan_currency",
                   "installment", "dispute", "invoice")  # fmt: skip


class Refused(Exception):
    """The command cannot be done: the message, and the exit code (2; 1 for a task that is not there)."""

    def __init__(self, message: str, exit_code: int = EXIT_REJECTED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def when(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}" if moment else "-"


def holder(row: Task | TaskView) -> str:
    assignee = row.assignee
    pool = row.assignee_role if isinstance(row, Task) else row.pool
    return assignee or f"({pool} pool)"


def line(row: Task) -> str:
    """A task in one line: its kind, account and step, and when it is due."""
    return f"{row.kind} on {row.account_id} ({row.step or '-'}), due {when(row.due_at)} UTC"


def describe(view: TaskView) -> str:
    lines = [
        f"task {view.id}  {view.kind}  {view.state}  account {view.account_id}",
        f"  step       {view.step or '-'}",
        f"  summary    {view.summary}",
        f"  pool       {view.pool}" + (f", team {view.team}" if view.team else ""),
        f"  holder     {view.assignee or 'nobody (the pool)'}",
        f"  priority   {view.priority:.2f}" if view.priority is not None else "  priority   -",
        f"  due        {when(view.due_at)} UTC ({view.sla})",
        f"  created    {when(view.created_at)} UTC",
    ]
    if view.state != "open":
        lines.append(f"  closed     {view.state} by {view.closed_by} at {when(view.closed_at)} UTC: {view.outcome}")
    if view.body:
        lines.append("  instructions")
        lines += [f"    {text}" for text in view.body.splitlines()]
    return "\n".join(lines)


# --- the commands: each runs blocking on the store (in a thread), but `done`, which also talks to Temporal ---


def cmd_list(store: Store, args: argparse.Namespace, who: Identity) -> int:
    now = datetime.now(UTC)
    query = queue.TaskQuery(args.scope, args.kind, args.state, now if args.overdue else None, args.account)
    try:
        rows, cursor = queue.list_tasks(store, viewer(who), query, args.cursor, args.limit)
    except ValueError as error:  # a cursor not ours
        raise Refused(str(error)) from None
    views = [TaskView.of(row, now) for row in rows]
    if args.json:
        page = {"tasks": [view.model_dump(mode="json") for view in views], "next_cursor": cursor}
        print(json.dumps(page, ensure_ascii=False, indent=2))
        return 0
    header = ("id", "priority", "kind", "account", "due (UTC)", "SLA", "holder")
    table = [(str(v.id), f"{v.priority:.0f}" if v.priority is not None else "-", v.kind, v.account_id, when(v.due_at),
              v.sla, holder(v)) for v in views]  # fmt: skip
    if table:
        print(render_table(header, table))
    print(f"{len(views)} task(s)" + (f"; next page: --cursor={cursor}" if cursor else ""))
    return 0


def visible(store: Store, task_id: int, who: Identity) -> Task:
    """The task, if `who` may see it (`edge.work.may_see`). One of their pools' that somebody else holds is refused
    as held (exit 2); any other is not there for them, as over HTTP (exit 1)."""
    try:
        row = queue.task(store, task_id)
    except NotFound:
        raise Refused(f"no task {task_id}", EXIT_FAILED) from None
    if may_see(row, who):
        return row
    if row.assignee_role in POOLS.get(who.role, ()):
        raise Refused(f"task {task_id} is held by {row.assignee}: a lead may reassign it")
    raise Refused(f"no task {task_id}", EXIT_FAILED)


def cmd_show(store: Store, args: argparse.Namespace, who: Identity) -> int:
    view = TaskView.of(visible(store, args.task_id, who), datetime.now(UTC), body=True)
    print(view.model_dump_json(indent=2) if args.json else describe(view))
    return 0


def cmd_claim(store: Store, args: argparse.Namespace, who: Identity) -> int:
    visible(store, args.task_id, who)
    row = queue.claim(store, args.task_id, who.username, datetime.now(UTC))
    print(f"task {row.id} claimed by {row.assignee}: {line(row)}")
    return 0


def cmd_release(store: Store, args: argparse.Namespace, who: Identity) -> int:
    visible(store, args.task_id, who)
    row = queue.release(store, args.task_id, who.username, datetime.now(UTC), who.role in LEADS)
    print(f"task {row.id} released to the {row.assignee_role} pool: {line(row)}")
    return 0


def cmd_reassign(store: Store, args: argparse.Namespace, who: Identity) -> int:
    row = visible(store, args.task_id, who)
    person = store.staff(args.to)
    if person is None or not person.active or row.assignee_role not in POOLS.get(person.role, ()):
        raise Refused(f"{args.to} is not an active person who works {row.assignee_role} tasks")
    row = queue.reassign(store, args.task_id, args.to, who.by, datetime.now(UTC))
    print(f"task {row.id} reassigned to {row.assignee} by {who.by}: {line(row)}")
    return 0


def form_of(args: argparse.Namespace) -> dict[str, Any]:
    """`task done`'s options as the API's completion form (edge.work.completion). Raises ValueError for an
    agreement it cannot read (record-contact's parsing: `promise`, `installment`)."""
    if args.call or args.visit:
        contact = {
            "channel": "call" if args.call else "visit", "result": args.call or args.visit, "at": args.at,
            "duration_minutes": args.minutes, "notes": args.notes, "agreed": args.agreed,
            "evidence_ref": args.evidence, "callback_at": args.callback,
        } | agreed_in_contact(args)  # fmt: skip
        return {"contact": {name: value for name, value in contact.items() if value is not None}}
    form = {"decision": args.decision, "reason": args.reason, "resolution": args.resolution,
            "adjustment": args.adjustment, "note": args.note, "outcome": args.outcome}  # fmt: skip
    return {name: value for name, value in form.items() if value is not None}


def check_done(values: dict[str, Any]) -> None:
    """One way of completing at a time, with what it needs (click cannot say it)."""
    if values["call"] and values["visit"]:
        raise click.UsageError("a task is worked by a call or by a visit, not both")
    contact = bool(values["call"] or values["visit"])
    ways = [name for name, given in (("--call/--visit", contact), ("--approve/--reject", values["decision"]),
                                     ("--upheld/--rejected", values["resolution"])) if given]  # fmt: skip
    if len(ways) > 1:
        raise click.UsageError(f"one way of completing a task at a time: {' and '.join(ways)} given")
    if not contact:
        given = [name for name in CONTACT_OPTIONS if values[name]]
        if given:
            raise click.UsageError(f"--{given[0].replace('_', '-')} is for a call or a visit (--call or --visit)")
    if values["decision"] and not values["reason"]:
        raise click.UsageError(f"--{values['decision']} needs --reason")


async def cmd_done(
    store: Store, args: argparse.Namespace, who: Identity, settings: Settings, client: Client | None
) -> int:
    row = await asyncio.to_thread(visible, store, args.task_id, who)
    if row.state != "open":
        raise Refused(f"task {row.id} is already {row.state}" + (f" ({row.outcome})" if row.outcome else ""))
    if row.assignee not in (None, who.username) and who.role not in LEADS:
        raise Refused(f"task {row.id} is held by {row.assignee}: a lead may reassign it")
    form = form_of(args)
    if completion(row, form).operation is not None and client is None:  # a notice needs no workflow
        client = await connect(settings)
    command_id = args.id or new_command_id("cli")
    try:
        status = await work(client, store, row, form, who, command_id)
    except WorkflowUpdateFailedError as error:  # the workflow's validator said no
        cause = error.cause
        raise Refused(cause.message if isinstance(cause, ApplicationError) else str(cause)) from None
    except (TimeoutError, RPCTimeoutOrCancelledError):
        raise Refused(
            f"no worker answered for account {row.account_id} within {edge.client.UPDATE_TIMEOUT.seconds}s (id "
            f"{command_id}): is the worker running? It may still apply when one does; repeat with --id {command_id} "
            "(it applies once)", EXIT_FAILED,
        ) from None  # fmt: skip
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND and "already completed" in error.message:
            raise Refused(f"account {row.account_id} is closed: its collection workflow has completed") from None
        if error.status == RPCStatusCode.NOT_FOUND:
            raise Refused(f"no collection workflow for account {row.account_id}", EXIT_FAILED) from None
        raise Refused(f"Temporal error: {error.message}", EXIT_FAILED) from None
    return report_done(await asyncio.to_thread(queue.task, store, args.task_id), status, command_id, args.json)


def report_done(row: Task, status: AccountStatus | None, command_id: str, as_json: bool) -> int:
    view = TaskView.of(row, datetime.now(UTC))
    if as_json:
        answer = {"task": view.model_dump(mode="json"), "status": status.model_dump(mode="json") if status else None}
        print(json.dumps(answer, ensure_ascii=False, indent=2))
        return 0
    sent = f" (id {command_id})" if status is not None else ""
    if row.state == "open":  # recorded, and the work goes on: the debtor asked to be called back
        print(f"task {row.id} recorded{sent}: it stays open")
    else:
        print(f"task {row.id} {row.state}{sent}: {row.outcome}")
    if status is not None:
        print(status.describe())
    return 0


async def connect(settings: Settings) -> Client:
    try:
        return await settings.connect()
    except RuntimeError as error:
        raise Refused(f"cannot reach Temporal at {settings.temporal_address}: {error}\nIs the stack running? Start it "
                      "with `make run` in another terminal.", EXIT_FAILED) from None  # fmt: skip


# --- parsing and running ---


@escaping_output
async def main(argv: list[str] | None = None, client: Client | None = None) -> int:
    """`tasks.py COMMAND ...`: parse, then run the command (with `client` for `done`, or one from the settings)."""
    args = parse(commands("tasks.py", with_list=True), argv, "tasks.py")
    return args if isinstance(args, int) else await execute(args, client)


async def execute(args: argparse.Namespace, client: Client | None = None) -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_FAILED
    try:
        roles = LEADS if args.command == "reassign" else WORKERS
        what = "tasks" if args.run is cmd_list else f"task {args.command}"
        who = await asyncio.to_thread(operator, settings, roles, what)
        if getattr(args, "scope", "mine") != "mine" and who.role not in LEADS:
            raise Refused(f"--scope {args.scope} is for leads ({', '.join(LEADS)}); COLLECTIONS_KEY is {who.by}'s, "
                          f"a {who.role}")  # fmt: skip
        if args.command == "done":
            form_of(args)  # a malformed agreement, refused before anything is read or sent
        store = await asyncio.to_thread(Store.open, settings.database_url)
    except CannotAct as error:
        print(error, file=sys.stderr)
        return error.exit_code
    except Refused as error:
        return refused(error)
    except ValueError as error:
        print(f"rejected: {error}", file=sys.stderr)
        return EXIT_REJECTED
    except SQLAlchemyError as error:
        print(f"the database cannot be opened: {str(error).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    try:
        if args.command == "done":
            return await cmd_done(store, args, who, settings, client)
        return await asyncio.to_thread(args.run, store, args, who)
    except Refused as error:
        return refused(error)
    except (Conflict, CommandConflict) as error:  # held by somebody else, already closed; an id used for another
        print(f"rejected: {error}", file=sys.stderr)
        return EXIT_REJECTED
    except ValidationError as error:
        print(f"rejected: {reason_of(error)}", file=sys.stderr)
        return EXIT_REJECTED
    except ValueError as error:  # a form the task's kind cannot take, a time ahead
        print(f"rejected: {error}", file=sys.stderr)
        return EXIT_REJECTED
    except NotFound as error:
        print(error, file=sys.stderr)
        return EXIT_FAILED
    except SQLAlchemyError as error:
        print(f"the database cannot be read: {str(error).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()


def refused(error: Refused) -> int:
    print(f"rejected: {error}" if error.exit_code == EXIT_REJECTED else error, file=sys.stderr)
    return error.exit_code


def queue_command(name: str = "tasks") -> click.Command:
    """`collections tasks`: the queue."""
    return command(name, cmd_list, "your work queue, most valuable first (leads: --scope team|all)", [
        click.Option(["--scope"], type=click.Choice(SCOPES), default="mine", show_default=True,
                     help="mine: what you hold and your pools' unheld tasks; team, all: leads"),
        click.Option(["--kind"], help="only tasks of this kind, such as collector_call"),
        click.Option(["--state"], type=click.Choice(STATES), default="open", show_default=True),
        flag("--overdue", help="only tasks past their due time"),
        click.Option(["--account"], metavar="ACCOUNT_ID", help="only this account's tasks"),
        click.Option(["--cursor"], help="the next page, as printed by the previous one"),
        click.Option(["--limit"], type=click.IntRange(1, queue.MAX_PAGE), default=50, show_default=True),
        flag("--json", help="machine-readable output")])  # fmt: skip


def commands(name: str = "task", with_list: bool = False) -> click.Group:
    """`collections task show|claim|release|reassign|done` (and, for `tasks.py`, `list` as well)."""
    task = click.Argument(["task_id"], type=int, metavar="ID")
    results = get_args(CallResult), get_args(VisitResult)
    verbs = [
        command("show", cmd_show, "one task, with its instructions", [task, flag("--json", help="as JSON")]),
        command("claim", cmd_claim, "take a task from your pool", [task]),
        command("release", cmd_release, "give a task back to its pool (its holder, or a lead)", [task]),
        command("reassign", cmd_reassign, "a lead gives a task to somebody who works its pool", [
            task, click.Option(["--to"], required=True, metavar="USERNAME", help="who takes it")]),
        command("done", None, "record what was done: the account's workflow follows, and the task closes", [
            task,
            click.Option(["--call"], type=click.Choice(results[0]), help="a call you made, and its result"),
            click.Option(["--visit"], type=click.Choice(results[1]), help="a visit you made, and its result"),
            click.Option(["--at"], help="call or visit: when, ISO 8601 with timezone (default: now)"),
            click.Option(["--minutes"], type=int, help="call or visit: how long it lasted"),
            click.Option(["--notes"], help="call or visit: what was said"),
            click.Option(["--agreed"], help="call or visit: what was agreed, in words (a visit's minutes)"),
            click.Option(["--evidence"], help="call or visit: the recording's or photo's reference"),
            click.Option(["--promise"], metavar="AMOUNT:CURRENCY:DATE", help="the debtor promised to pay"),
            click.Option(["--plan-currency"], help="the debtor agreed an installment plan in this currency"),
            click.Option(["--installment"], multiple=True, metavar="AMOUNT:DATE",
                         help="one installment of the plan; repeat"),
            click.Option(["--dispute"], metavar="REASON", help="the debtor disputes the debt (with --invoice, or all)"),
            click.Option(["--invoice"], multiple=True, metavar="INVOICE_ID", help="a disputed invoice; repeatable"),
            click.Option(["--callback"], help="the debtor asked to be called back then (ISO 8601 with timezone): the "
                                              "task stays open, due then"),
            click.Option(["--approve", "decision"], flag_value="approve", help="an approval task: approve the step"),
            click.Option(["--reject", "decision"], flag_value="reject", help="an approval task: reject the step"),
            click.Option(["--reason"], help="why (an approval's decision)"),
            click.Option(["--upheld", "resolution"], flag_value="upheld", help="a dispute review: the debtor is right"),
            click.Option(["--rejected", "resolution"], flag_value="rejected",
                         help="a dispute review: collection resumes"),
            click.Option(["--adjustment"], help="upheld: reduce by this much instead of cancelling"),
            click.Option(["--outcome"], help="any other task: what was done or decided"),
            click.Option(["--note"], help="free text for the history"),
            click.Option(["--id"], metavar="COMMAND_ID",
                         help="the command's id (default: a fresh cli-<hex>); the same id applies once"),
            flag("--json", help="the task and the account's status as JSON")], check_done),
    ]  # fmt: skip
    if with_list:
        verbs.insert(0, queue_command("list"))
    return click.Group(name, help="The work queue's tasks, as the holder of COLLECTIONS_KEY.", commands=verbs)


if __name__ == "__main__":
    exit_now(asyncio.run(main()))
