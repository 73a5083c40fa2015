"""`collections report ...`: the department's figures from the store (no Temporal needed).

collections report kpis [--month YYYY-MM] [--json]    the month's KPIs per currency (insight/kpis.py)"""

import argparse
import sys
from datetime import UTC, datetime
from decimal import Decimal

import click
from sqlalchemy.exc import SQLAlchemyError

from insight.kpis import KpiReport, Rate, this_month
from insight.sources import month_report
from settings import ConfigError, Settings
from store.repository import Store
from terminal import render_table

EXIT_FAILED = 1


def commands() -> click.Group:
    from cli import command, flag

    month = click.Option(["--month"], metavar="YYYY-MM", help="the month (default: this one, UTC)")
    return click.Group("report", help="The department's figures, from the store.", commands=[
        command("kpis", cmd_kpis, "the month's KPIs per currency: recovery, DSO, promises, plans, cure rates, "
                "contacts, by cohort and by segment, policy, arm, team and collector",
                [month, flag("--json", help="machine-readable output")]),
    ])  # fmt: skip


def execute(args: argparse.Namespace) -> int:
    try:
        store = Store.open(Settings.from_env().database_url)
    except (ConfigError, SQLAlchemyError) as error:
        print(f"report: the store cannot be opened: {str(error).splitlines()[0]}", file=sys.stderr)
        return EXIT_FAILED
    try:
        return int(args.run(store, args))
    except ValueError as error:
        print(f"report: {error}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        store.close()


def cmd_kpis(store: Store, args: argparse.Namespace) -> int:
    month = args.month or this_month(datetime.now(UTC).date())
    reports = month_report(store, month)
    if args.json:
        print("[" + ",\n".join(report.model_dump_json(indent=2) for report in reports) + "]")
        return 0
    if not reports:
        print(f"{month}: no accounts yet")
    for report in reports:
        print(describe(report))
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
