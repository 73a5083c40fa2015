"""The legal team's inbox: cases handed over by the collection workflows, with their evidence packages.

  python legal.py list [--state open|accepted|closed]
  python legal.py show CASE_ID [--json]           the case and its evidence package
  python legal.py accept CASE_ID
  python legal.py step CASE_ID STEP [--on DAY] [...]  what happened in the case (filed, payment_order_served,
                                                  objection, mediation, hearing_scheduled, judgment, appeal,
                                                  enforcement_applied, defaulter_listed, preservation, close)
  python legal.py outcome CASE_ID --outcome settled|judgment|withdrawn|uncollectable [--note TEXT]
  python legal.py export CASE_ID [--to DIR]       the package as a folder and a zip a lawyer can open anywhere

Accepting a case and recording its outcome are done in the name of the holder of the key in COLLECTIONS_KEY, who
must have the legal role (as over HTTP); the case records their username. A case handed over from rules 10 runs as
a workflow of its own (workflows.legal_case): its steps move it, and `outcome` closes it as a `close` step (a
judgment is a step there, not an end). For a case handed over before, recording an outcome closes the case and
signals the account's workflow (`legal_outcome`), once."""

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

import click
from pydantic import ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError, RPCStatusCode

from activities.legal_case import LegalDesk
from cli import CannotAct, command, flag, operator, parse
from domain.case_messages import STEPS, CaseStep
from domain.commands import LegalOutcome
from domain.events import describe as reason_of
from domain.legal_proceedings import STAGE_NAMES, CaseState
from edge.client import UPDATE_TIMEOUT, new_command_id
from edge.identity import LEGAL
from settings import ConfigError, Settings, exit_now
from store.db import make_engine, migrate
from store.models import LegalCase
from store.repository import Conflict, NotFound, Store
from terminal import escaping_output
from workflows import LEGAL_OUTCOME, RECORD_CASE_STEP

OUTCOMES = get_args(LegalOutcome.model_fields["outcome"].annotation)
STEP_FIELDS = ("on", "route", "court", "reference", "result", "hearing_on", "amount_awarded", "costs_awarded",
               "currency", "outcome", "note")  # fmt: skip
CASE_STATES = ("open", "accepted", "closed")


def open_store(settings: Settings) -> Store:
    migrate(settings.database_url)
    return Store(make_engine(settings.database_url))


def describe(case) -> str:
    package = json.loads(case.package)
    lines = [
        f"{case.case_id}  {case.state}  account {case.account_id}  opened {case.opened_at:%Y-%m-%d %H:%M} UTC",
        f"  reason     {case.reason}",
        f"  debtor     {package['debtor']['name']} ({package['debtor'].get('phone') or '-'}, "
        f"{package['debtor'].get('email') or '-'})",
        f"  contracts  {', '.join(package['contracts']) or '-'}",
    ]
    for currency, amount in package["amounts"].items():
        paid = ", ".join(f"{part} {value}" for part, value in amount["paid"].items())
        lines.append(f"  amounts    {currency}: owed {amount['owed']} (principal {amount['principal']}, "
                     f"interest {amount['interest']}, fees {amount['fees']}); paid {paid}")  # fmt: skip
    lines.append(f"  promises   {len(package['promises'])} ({package['broken_promises']} broken)")
    lines.append(f"  evidence   {len(package['contact_log'])} contact-log rows, {len(package['documents'])} documents")
    for document in package["documents"]:
        lines.append(f"             {document['filename']}  sha256 {document['sha256'][:16]}…")
    if case.accepted_by:
        lines.append(f"  accepted   by {case.accepted_by} at {case.accepted_at:%Y-%m-%d %H:%M} UTC")
    if case.stage:
        lines.append(f"  stage      {case.stage}")
        if case.next_deadline:
            lines.append(f"  next       {case.next_step} (due {case.next_deadline:%Y-%m-%d %H:%M} UTC)")
        for entry in json.loads(case.history or "[]"):
            lines.append(f"  history    {entry['at'][:16].replace('T', ' ')}  {entry['detail']} ({entry['by']})")
    if case.outcome:
        lines.append(f"  outcome    {case.outcome} by {case.outcome_by}: {case.outcome_note or ''}")
    return "\n".join(lines)


def where(case: LegalCase) -> str:
    """A case's line in the list: its stage and next deadline (a case run as a workflow), else why it was opened."""
    if case.stage is None:
        return case.reason
    if case.outcome or case.next_deadline is None:
        return f"{case.stage}" + (f" ({case.outcome})" if case.outcome else "")
    return f"{case.stage}; by {case.next_deadline:%Y-%m-%d}: {case.next_step}"


async def record_step(store: Store, client: Client, case_id: str, step: CaseStep) -> CaseState:
    """Send a step to the case's workflow, which checks it against the case (a refusal: ValueError with the
    reason); NotFound without the case, Conflict for a case handed over before cases ran as workflows."""
    case = await find_case(store, case_id)
    if case.case_workflow_id is None:
        raise Conflict(f"case {case_id} was handed over before cases ran as workflows: record its outcome instead")
    closed = ValueError(f"case {case_id} is closed ({case.outcome})")
    if case.state == "closed":
        raise closed
    handle = client.get_workflow_handle(case.case_workflow_id)
    try:
        async with asyncio.timeout(UPDATE_TIMEOUT.total_seconds()):
            return await handle.execute_update(RECORD_CASE_STEP, step, result_type=CaseState)
    except WorkflowUpdateFailedError as error:
        raise ValueError(str(getattr(error.cause, "message", error.cause))) from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:  # its workflow has completed: the store's row is closing
            raise closed from None
        raise


async def find_case(store: Store, case_id: str) -> LegalCase:
    case = await asyncio.to_thread(store.case, case_id)
    if case is None:
        raise NotFound(f"no legal case {case_id}")
    return case


async def record_outcome(store: Store, client: Client, case_id: str, outcome: str, by: str, note: str) -> str:
    """Close the case, then tell the workflow. Both steps are idempotent, so a retry after a failure is safe. The
    signal is validated first: an outcome the workflow would refuse (an over-long note) must not close the case.
    A case with a workflow of its own is closed there, by a `close` step."""
    signal = LegalOutcome.model_validate({"command_id": f"legal-{case_id}", "by": by, "outcome": outcome, "note": note})
    running = await find_case(store, case_id)
    if running.case_workflow_id is not None:
        return await _close_running(store, client, running, signal)
    case = await asyncio.to_thread(store.close_case, case_id, outcome, note, by, datetime.now(UTC))
    try:
        await client.get_workflow_handle(case.workflow_id).signal(LEGAL_OUTCOME, signal)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        # The account's workflow has completed: this outcome reached it before (or it closed otherwise).
    return case.workflow_id


async def _close_running(store: Store, client: Client, case: LegalCase, outcome: LegalOutcome) -> str:
    if outcome.outcome == "judgment":
        raise ValueError(f"a judgment does not end case {case.case_id}: record it as a step (legal.py step "
                         f"{case.case_id} judgment --amount ... --currency ...), then enforcement follows")  # fmt: skip
    if case.state == "closed":
        if case.outcome != outcome.outcome:
            raise Conflict(f"case {case.case_id} already closed as {case.outcome}, not {outcome.outcome}")
        return case.workflow_id
    close = CaseStep(
        command_id=f"{outcome.command_id}-{outcome.outcome}",
        by=outcome.by,
        step="close",
        outcome=outcome.outcome,
        note=outcome.note,
    )
    await record_step(store, client, case.case_id, close)
    # The case's workflow closes the row too (the same outcome: a no-op); closed here, the answer shows it at once.
    now = datetime.now(UTC)
    await asyncio.to_thread(store.close_case, case.case_id, outcome.outcome, outcome.note, outcome.by, now)
    return case.workflow_id


@escaping_output
async def main(argv: list[str] | None = None, client: Client | None = None) -> int:
    """`legal.py COMMAND ...`: parse, then run the command (with `client` for an outcome, or one from the settings)."""
    args = parse(commands(), argv, "legal.py")
    return args if isinstance(args, int) else await execute(args, client)


async def execute(args: argparse.Namespace, client: Client | None = None) -> int:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    if args.command in ("accept", "outcome", "step"):  # done in someone's name
        try:
            args.by = (await asyncio.to_thread(operator, settings, (LEGAL,), args.command)).by
        except CannotAct as error:
            print(error, file=sys.stderr)
            return error.exit_code
    store = open_store(settings)
    if args.command == "list":
        for row in store.cases(args.state):
            print(f"{row.case_id}  {row.state:<8}  {row.account_id}  {row.opened_at:%Y-%m-%d}  {where(row)}")
        return 0
    case = store.case(args.case_id)
    if case is None:
        print(f"no legal case {args.case_id}", file=sys.stderr)
        return 1
    try:
        if args.command == "show":
            package = json.loads(case.package or "{}")
            print(json.dumps(package, ensure_ascii=False, indent=2) if args.json else describe(case))
        elif args.command == "accept":
            case = store.accept_case(case.case_id, args.by, datetime.now(UTC))
            print(f"{case.case_id} accepted by {case.accepted_by}")
        elif args.command == "export":
            desk = LegalDesk(store, settings.legal_dir)
            print(desk.export(case, args.to))
        elif args.command == "step":
            given = {name: getattr(args, name) for name in STEP_FIELDS if getattr(args, name) is not None}
            fields = {name: v.date() if isinstance(v, datetime) else v for name, v in given.items()}
            step = CaseStep.model_validate({"command_id": new_command_id("cli"), "by": args.by, "step": args.step,
                                            **fields})  # fmt: skip
            client = client or await settings.connect()
            state = await record_step(store, client, case.case_id, step)
            print(f"{case.case_id} {args.step} recorded: {STAGE_NAMES[state.stage]}")
        elif args.command == "outcome":
            client = client or await settings.connect()
            workflow = await record_outcome(store, client, case.case_id, args.outcome, args.by, args.note or "")
            print(f"{case.case_id} closed as {args.outcome}; workflow {workflow} told")
    except ValidationError as error:
        print(f"rejected: {reason_of(error)}", file=sys.stderr)
        return 2
    except (ValueError, NotFound) as error:
        print(f"rejected: {error}", file=sys.stderr)
        return 2
    except TimeoutError:
        print("no worker answered in time: run the same command again", file=sys.stderr)
        return 1
    except RPCError as error:
        print(f"the case is closed but the workflow could not be told ({error.message}): run the same command "
              "again", file=sys.stderr)  # fmt: skip
        return 1
    return 0


def commands() -> click.Group:
    """`legal.py COMMAND ...`, and `collections legal COMMAND ...`."""
    case = click.Argument(["case_id"])
    return click.Group("legal.py", help="The legal inbox: the cases handed to the legal team.", commands=[
        command("list", None, "cases, newest last", [click.Option(["--state"], type=click.Choice(CASE_STATES))]),
        command("show", None, "one case and its evidence", [case, flag("--json", help="the whole evidence package")]),
        command("accept", None, "take the case (as the holder of COLLECTIONS_KEY)", [case]),
        command("step", None, "record what happened in the case (as the holder of COLLECTIONS_KEY)", [
            case, click.Argument(["step"], type=click.Choice(STEPS)),
            click.Option(["--on"], type=click.DateTime(["%Y-%m-%d"]), help="the day it happened (default: today)"),
            click.Option(["--route"], type=click.Choice(["payment_order", "lawsuit"]), help="filed: which"),
            click.Option(["--court"]), click.Option(["--reference"], help="the court's number, an order's..."),
            click.Option(["--result"], type=click.Choice(["agreed", "failed"]), help="mediation: its result"),
            click.Option(["--hearing-on"], type=click.DateTime(["%Y-%m-%d"])),
            click.Option(["--amount", "amount_awarded"], help="judgment or agreed mediation: the amount"),
            click.Option(["--costs", "costs_awarded"], help="court costs the debtor bears"),
            click.Option(["--currency"]),
            click.Option(["--outcome"], type=click.Choice(["settled", "withdrawn", "uncollectable"]), help="close"),
            click.Option(["--note"])]),
        command("outcome", None, "record how the case ended; closes the account (as the holder of COLLECTIONS_KEY)", [
            case, click.Option(["--outcome"], required=True, type=click.Choice(OUTCOMES)),
            click.Option(["--note"], help="free text for the history")]),
        command("export", None, "write the package as a folder and a zip", [
            case, click.Option(["--to"], type=click.Path(path_type=Path), help="folder (default: var/legal)")]),
    ])  # fmt: skip


if __name__ == "__main__":
    exit_now(asyncio.run(main()))
