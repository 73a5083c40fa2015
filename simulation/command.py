"""`collections simulate`: run policies over a book and print what each gives (a table, or JSON), with a chart of
the recovery curves (SVG or PNG). Needs no server and no database: the book is synthetic or a CSV export."""

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import click

from insight.sources import debtor_contacts
from settings import ConfigError, Settings
from simulation import chart
from simulation.book import MAX_ACCOUNTS, SyntheticBook, read_book
from simulation.calibration import Contact, as_toml, fit
from simulation.responses import DEFAULT_MODEL, load_model
from simulation.simulator import BOOK, MAX_DAYS, MAX_RUNS, Outcome, Timing, arm, report, simulate
from store import facts
from store.repository import Store

EXIT_FAILED = 1


def command() -> click.Command:
    from cli import command as make
    from cli import flag

    return make("simulate", run, "simulate policies over a synthetic book or today's (no server needed)", [
        click.Option(["--book"], default="synthetic", show_default=True,
                     help="`synthetic`, or a CSV export of today's book (collections report book --format csv)"),
        click.Option(["--accounts"], type=click.IntRange(1, MAX_ACCOUNTS), default=10_000, show_default=True,
                     help="accounts of the synthetic book"),
        click.Option(["--policy", "policies"], multiple=True, metavar="NAME|FILE",
                     help=f"a policy to simulate, by name or file, repeatable (default: `{BOOK}`, each account "
                          "under the policy the book gives it)"),
        click.Option(["--model"], type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_MODEL,
                     help="the debtor response model (default: the shipped one)"),
        click.Option(["--runs"], type=click.IntRange(1, MAX_RUNS), default=20, show_default=True),
        click.Option(["--seed"], type=click.IntRange(0, 2**63 - 1), default=1, show_default=True),
        click.Option(["--days"], type=click.IntRange(1, MAX_DAYS), default=120, show_default=True),
        click.Option(["--start"], type=click.DateTime(["%Y-%m-%d"]), help="the first day (default: today, UTC)"),
        click.Option(["--processes"], type=click.IntRange(1, 64), default=os.cpu_count() or 1,
                     help="processes sharing the planner's work (default: one per core)"),
        click.Option(["--chart"], type=click.Path(dir_okay=False, path_type=Path),
                     help="write the recovery curves to this file (.svg or .png)"),
        flag("--json", help="machine-readable output"),
    ])  # fmt: skip


def run(args: argparse.Namespace) -> int:
    try:
        first_day = args.start.date() if args.start else datetime.now(UTC).date()
        outcomes, timing = study(args, first_day)
        if args.chart:
            drawn = chart.svg(outcomes)
            if args.chart.suffix.lower() == ".png":
                args.chart.write_bytes(chart.png(drawn))
            else:
                args.chart.write_text(drawn, encoding="utf-8")
    except (ValueError, LookupError, OSError, ConfigError) as error:
        print(f"simulate: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        context = {"book": args.book, "first_day": first_day.isoformat(), "days": args.days, "runs": args.runs,
                   "seed": args.seed, "model": str(args.model)}  # fmt: skip
        print(json.dumps(report(outcomes, context), ensure_ascii=False, indent=2))
    else:
        print(table(outcomes, args, first_day, timing))
    return 0


def study(args: argparse.Namespace, first_day: date) -> tuple[list[Outcome], Timing]:
    book = Settings.from_env().policies()
    model = load_model(args.model)
    accounts = SyntheticBook(accounts=args.accounts).draw(args.seed) if args.book == "synthetic" else \
        read_book(Path(args.book))  # fmt: skip
    arms = [arm(spec, book) for spec in (args.policies or (BOOK,))]
    timing = Timing()
    outcomes = simulate(accounts, arms, model, book, runs=args.runs, seed=args.seed, days=args.days,
                        first_day=first_day, processes=args.processes, timing=timing)  # fmt: skip
    return outcomes, timing


def table(outcomes: list[Outcome], args: argparse.Namespace, first_day: date, timing: Timing) -> str:
    rows = [("", *[o.label for o in outcomes])]
    summaries = [o.summary() for o in outcomes]

    def spread(key: str, form: str) -> tuple[str, ...]:
        return tuple(f"{format(s[key]['mean'], form)} ({format(s[key]['low'], form)}-{format(s[key]['high'], form)})"
                     for s in summaries)  # fmt: skip

    rows += [
        ("accounts", *[f"{s['accounts']:,}" for s in summaries]),
        ("placed", *[f"{s['placed']:,.2f} {s['currency']}" for s in summaries]),
        (f"collected by day {args.days}", *spread("recovered_share", ".1%")),
        ("contacts per account", *spread("contacts_per_account", ".2f")),
        ("letters per account", *spread("letters_per_account", ".2f")),
        ("cost per unit collected", *spread("cost_per_unit_collected", ".4f")),
        ("days to cash (mean)", *spread("days_to_cash", ".1f")),
        ("handed to legal", *spread("to_legal_share", ".1%")),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.append(f"\n{args.runs} runs from {first_day} (seed {args.seed}; bands: 5th-95th percentile). "
                 f"{timing.decisions:,} planner decisions in {timing.seconds:.1f} s "
                 f"({timing.decisions / max(timing.cpu, 1e-9):,.0f} a CPU second).")  # fmt: skip
    return "\n".join(lines)


def calibrate_command() -> click.Command:
    from cli import command as make

    return make("calibrate", calibrate, "fit a debtor response model from the store's contacts and what followed", [
        click.Option(["--output"], type=click.Path(dir_okay=False, path_type=Path), required=True,
                     help="the model file to write (then: collections simulate --model FILE)"),
    ])  # fmt: skip


def calibrate(store: Store, args: argparse.Namespace) -> int:
    """Run as the `report` commands are, on the store (insight.command.execute)."""
    rows = facts.read(store)
    contacts = [Contact(account, at, action) for account, at, action in debtor_contacts(store)]
    segments = {row.account_id: row.segment for row in rows}
    model, support = fit(contacts, rows, segments, load_model())
    args.output.write_text(as_toml(model, support), encoding="utf-8")
    load_model(args.output)  # what it wrote reads back as a model
    print(f"{model.description}: {len(model.answers)} row(s) written to {args.output}")
    for where, count in support.items():
        print(f"  {where}: {count} contacts")
    return 0
