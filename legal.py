"""The legal team's inbox: cases handed over by the collection workflows, with their evidence packages.

  python legal.py list [--state open|accepted|closed]
  python legal.py show CASE_ID [--json]           the case and its evidence package
  python legal.py accept CASE_ID
  python legal.py outcome CASE_ID --outcome settled|judgment|withdrawn|uncollectable [--note TEXT]
  python legal.py export CASE_ID [--to DIR]       the package as a folder and a zip a lawyer can open anywhere

Accepting a case and recording its outcome are done in the name of the holder of the key in COLLECTIONS_KEY, who
must have the legal role (as over HTTP); the case records their username. Recording an outcome closes the case and
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
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.legal_case import LegalDesk
from cli import CannotAct, command, flag, operator, parse
from domain.commands import LegalOutcome
from domain.events import describe as reason_of
from edge.identity import LEGAL
from settings import ConfigError, Settings, exit_now
from store.db import make_engine, migrate
from store.repository import Store
from terminal import escaping_output
from workflows import LEGAL_OUTCOME

OUTCOMES = get_args(LegalOutcome.model_fields["outcome"].annotation)
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
    if case.outcome:
        lines.append(f"  outcome    {case.outcome} by {case.outcome_by}: {case.outcome_note or ''}")
    return "\n".join(lines)


async def record_outcome(store: Store, client: Client, case_id: str, outcome: str, by: str, note: str) -> str:
    """Close the case, then tell the workflow. Both steps are idempotent, so a retry after a failure is safe. The
    signal is validated first: an outcome the workflow would refuse (an over-long note) must not close the case."""
    signal = LegalOutcome.model_validate({"command_id": f"legal-{case_id}", "by": by, "outcome": outcome, "note": note})
    case = await asyncio.to_thread(store.close_case, case_id, outcome, note, by, datetime.now(UTC))
    try:
        await client.get_workflow_handle(case.workflow_id).signal(LEGAL_OUTCOME, signal)
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        # The account's workflow has completed: this outcome reached it before (or it closed otherwise).
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
    if args.command in ("accept", "outcome"):  # done in someone's name
        try:
            args.by = (await asyncio.to_thread(operator, settings, (LEGAL,), args.command)).by
        except CannotAct as error:
            print(error, file=sys.stderr)
            return error.exit_code
    store = open_store(settings)
    if args.command == "list":
        for row in store.cases(args.state):
            print(f"{row.case_id}  {row.state:<8}  {row.account_id}  {row.opened_at:%Y-%m-%d}  {row.reason}")
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
        elif args.command == "outcome":
            client = client or await settings.connect()
            workflow = await record_outcome(store, client, case.case_id, args.outcome, args.by, args.note or "")
            print(f"{case.case_id} closed as {args.outcome}; workflow {workflow} told")
    except ValidationError as error:
        print(f"rejected: {reason_of(error)}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"rejected: {error}", file=sys.stderr)
        return 2
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
        command("outcome", None, "record how the case ended; closes the account (as the holder of COLLECTIONS_KEY)", [
            case, click.Option(["--outcome"], required=True, type=click.Choice(OUTCOMES)),
            click.Option(["--note"], help="free text for the history")]),
        command("export", None, "write the package as a folder and a zip", [
            case, click.Option(["--to"], type=click.Path(path_type=Path), help="folder (default: var/legal)")]),
    ])  # fmt: skip


if __name__ == "__main__":
    exit_now(asyncio.run(main()))
