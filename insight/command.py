"""`collections report ...`: the department's figures from the store (no Temporal needed).

collections report kpis [--month YYYY-MM] [--json]    the month's KPIs per currency (insight/kpis.py)
collections report arms [--json]                      champion/challenger compared (insight/arms.py)
collections report export book|aging|kpis|contacts [--format csv|xlsx] [--output FILE] [--month YYYY-MM]
collections report trend [--json]                     the aging month after month, and the roll rates
collections report snapshot [--month YYYY-MM]         take a month's aging snapshot now (the schedule: monthly)"""

import argparse
import asyncio
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import click
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client

from book import Filters, aging
from domain.aging import BUCKET_NAMES
from insight import exports
from insight.arms import Interval
from insight.kpis import KpiReport, Rate, month_bounds, this_month
from insight.sources import experiments_report, month_report, trend_report
from settings import ConfigError, Settings
from store.repository import Store
from terminal import render_table
from workflows.inputs import SnapshotInput, SnapshotResult
from workflows.snapshot import MonthlySnapshotWorkflow

EXIT_FAILED = 1
ARMS_HEADER = ("arm", "accounts", "recovery (95% CI)", "paid in full", "promises kept", "contacts/account")


def commands() -> click.Group:
    from cli import command, flag

    month = click.Option(["--month"], metavar="YYYY-MM", help="the month (default: this one, UTC)")
    return click.Group("report", help="The department's figures, from the store.", commands=[
        command("kpis", cmd_kpis, "the month's KPIs per currency: recovery, DSO, promises, plans, cure rates, "
                "contacts, by cohort and by segment, policy, arm, team and collector",
                [month, flag("--json", help="machine-readable output")]),
        command("arms", cmd_arms, "every experiment's arms compared, with 95% intervals and a verdict",
                [flag("--json", help="machine-readable output")]),
        command("trend", cmd_trend, "the aging at each month's end and the roll rates between months (from the "
                "monthly snapshots)", [flag("--json", help="machine-readable output")]),
        command("snapshot", cmd_snapshot, "take a month's aging snapshot and its early warnings now (the schedule "
                "does it on the 1st of each month)", [click.Option(["--month"], metavar="YYYY-MM",
                                                                   help="default: the month just ended")]),
        command("export", cmd_export, "the book, the aging report, the month's KPIs or the contact log as CSV or "
                "XLSX, written as it is read", [
            click.Argument(["what"], type=click.Choice(exports.WHAT)),
            click.Option(["--format", "form"], type=click.Choice(("csv", "xlsx")), default="csv", show_default=True),
            click.Option(["--output"], type=click.Path(dir_okay=False, path_type=Path),
                         help="the file to write (default: standard output, CSV only)"),
            click.Option(["--month"], metavar="YYYY-MM", help="kpis: the month (default: this one); contacts: only "
                         "that month's (default: all)")]),
    ])  # fmt: skip


def execute(args: argparse.Namespace) -> int:
    try:
        store = Store.open(Settings.from_env().database_url)
    except (ConfigError, SQLAlchemyError) as error:
        print(f"{args.command}: the store cannot be opened: {str(error).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    try:
        return int(args.run(store, args))
    except ValueError as error:
        print(f"{args.command}: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()


def cmd_kpis(store: Store, args: argparse.Namespace) -> int:
    month = args.month or this_month(datetime.now(UTC).date())
    reports = month_report(store, month)
    if args.json:
        return print_json(reports)
    if not reports:
        print(f"{month}: no accounts yet")
    for report in reports:
        print(describe(report))
    return 0


def cmd_arms(store: Store, args: argparse.Namespace) -> int:
    reports = experiments_report(store)
    if args.json:
        return print_json(reports)
    if not reports:
        print("no account is in an experiment (see README: Champion/challenger)")
    for report in reports:
        print(f"experiment {report.experiment}")
        print(render_table(ARMS_HEADER,
                           [(a.arm, str(a.accounts), _interval(a.recovery), _interval(a.paid_in_full),
                             _interval(a.promise_kept), "-" if a.contacts_per_account is None
                             else f"{a.contacts_per_account:.2f}") for a in report.arms]))  # fmt: skip
        for comparison in report.comparisons:
            print(f"  {comparison.verdict}")
        print()
    return 0


def _interval(interval: Interval) -> str:
    if interval.value is None:
        return "-"
    if interval.low is None or interval.high is None:
        return f"{interval.value:.1%}"
    return f"{interval.value:.1%} ({interval.low:.1%}-{interval.high:.1%})"


def cmd_export(store: Store, args: argparse.Namespace) -> int:
    if args.form == "xlsx" and args.output is None:
        raise ValueError("an XLSX export needs --output FILE")
    out = args.output.open("wb") if args.output else sys.stdout.buffer
    written = 0

    def write(chunk: bytes) -> None:
        nonlocal written
        written += out.write(chunk)

    try:
        if args.what in ("book", "aging"):
            asyncio.run(_from_temporal(store, args.what, args.form, write))
        else:
            for chunk in _from_store(store, args):
                write(chunk)
    finally:
        if args.output:
            out.close()
        else:
            out.flush()
    if args.output:
        print(f"{args.what}: {written:,} bytes written to {args.output}", file=sys.stderr)
    return 0


def _from_store(store: Store, args: argparse.Namespace) -> Iterator[bytes]:
    if args.what == "kpis":
        rows = exports.kpi_rows(month_report(store, args.month or this_month(datetime.now(UTC).date())))
        return exports.export(exports.KPI_HEADER, rows, args.form, "kpis")
    start, end = month_bounds(args.month) if args.month else (None, None)
    return exports.export(exports.CONTACT_HEADER, exports.contact_rows(store, start, end), args.form, "contacts")


async def _from_temporal(store: Store, what: str, form: exports.Format, write: Callable[[bytes], None]) -> None:
    """The book or the aging, which visibility answers, written as its pages come."""
    settings = Settings.from_env()
    client = await _connect(settings)
    filters = Filters(task_queue=settings.task_queue)
    if what == "aging":
        for chunk in exports.export(exports.AGING_HEADER, exports.aging_rows(await aging(client, filters=filters)),
                                    form, "aging"):  # fmt: skip
            write(chunk)
        return
    async for chunk in exports.export_async(exports.BOOK_HEADER, exports.book_rows(client, store, filters), form,
                                            "book"):  # fmt: skip
        write(chunk)


def cmd_trend(store: Store, args: argparse.Namespace) -> int:
    result = trend_report(store)
    if args.json:
        print(result.model_dump_json(indent=2))
        return 0
    if not result.months:
        print("no monthly snapshot yet: the schedule takes one on the 1st (or `collections report snapshot`)")
    for currency, months in result.aging.items():
        print(f"{currency} at each month's end (accounts, amount)")
        print(render_table(("month", *BUCKET_NAMES), [
            (month, *(f"{p.accounts} {p.amount:,.2f}" for p in buckets.values())) for month, buckets in months.items()
        ]))  # fmt: skip
    for roll in result.rolls:
        print(f"\nroll rates {roll.start} -> {roll.end}, {roll.currency} (share of the accounts of each bucket)")
        names = list(next(iter(roll.rates.values())))
        print(render_table(("from", *names), [
            (start, *(f"{rate:.0%}" for rate in rates.values())) for start, rates in roll.rates.items()
        ]))  # fmt: skip
    return 0


def cmd_snapshot(store: Store, args: argparse.Namespace) -> int:
    result = asyncio.run(_snapshot(args.month))
    print(f"{result.month}: {result.accounts} account(s) added to the snapshot")
    for warning in result.warnings:
        print(f"  early warning: {warning} (a task for the collections manager)")
    return 0


async def _snapshot(month: str | None) -> SnapshotResult:
    settings = Settings.from_env()
    client = await _connect(settings)
    return await client.execute_workflow(MonthlySnapshotWorkflow.run, SnapshotInput(month=month),
                                         id=f"monthly-snapshot-{month or 'latest'}-{uuid.uuid4().hex[:8]}",
                                         task_queue=settings.task_queue)  # fmt: skip


async def _connect(settings: Settings) -> Client:
    try:
        return await settings.connect()
    except RuntimeError as error:
        raise ValueError(f"cannot reach Temporal at {settings.temporal_address}: {error}") from None


def print_json(reports: Sequence[BaseModel]) -> int:
    print("[" + ",\n".join(report.model_dump_json(indent=2) for report in reports) + "]")
    return 0


def percent(rate: Rate) -> str:
    return "-" if rate.rate is None else f"{rate.rate:.1%} ({_short(rate.numerator)}/{_short(rate.denominator)})"


def _short(value: Decimal) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def describe(report: KpiReport) -> str:
    f, c = report.figures, report.currency
    lines = [f"{report.month}, {c}", render_table(("figure", "value"), [
        ("accounts open at the month's end", str(f.accounts_open)),
        ("placed in the month", f"{f.placed_in_month:,.2f}"),
        ("collected in the month", f"{f.collected_in_month:,.2f}"),
        ("outstanding at the month's end", f"{f.outstanding:,.2f}"),
        ("recovery rate (all cohorts)", percent(f.recovery)),
        ("DSO (days)", "-" if f.dso is None else f"{f.dso:.1f}"),
        ("promise-kept rate", percent(f.promise_kept)),
        ("plan completion rate", percent(f.plan_completion)),
        ("contacts per 1,000 collected", "-" if f.contacts_per_1000_collected is None
         else f"{f.contacts_per_1000_collected:.2f}"),
    ]), "cohorts (month of entry)", render_table(("cohort", "accounts", "placed", "collected", "recovery"), [
        (k.month, str(k.accounts), f"{k.placed:,.2f}", f"{k.collected:,.2f}", percent(k.recovery))
        for k in report.cohorts
    ]), "cure rate by stage (paid in full while in it)", render_table(("stage", "cure rate"), [
        (stage, percent(rate)) for stage, rate in report.cure_rate.items()
    ]), "collectors", render_table(("collector", "open", "collected in the month", "recovery", "promises kept"), [
        (name, str(g.accounts_open), f"{g.collected_in_month:,.2f}", percent(g.recovery), percent(g.promise_kept))
        for name, g in sorted(report.by["owner"].items(), key=lambda item: -item[1].collected_in_month)
    ])]  # fmt: skip
    return "\n".join(lines) + "\n"
