"""Policy simulator benchmark: a synthetic book (100,000 accounts by default) through the 120-day ladders of the
shipped policies, in seeded runs, on every core: wall time, CPU, courses explored, the planner's decisions per CPU
second. Target: under a minute on this 2-core machine (the issue asks it be usable interactively).

Baseline, measured in the same run: the same simulation without sharing courses, each account alone through the
planner (a sample of accounts, timed, scaled to the book): what a per-account simulator would cost."""

import argparse
import os
import time
from datetime import date, timedelta

import numpy as np

from bench.common import report
from domain.policy_book import PolicyBook
from simulation.book import SyntheticBook
from simulation.responses import load_model
from simulation.runs import Walker
from simulation.simulator import BOOK, Arm, Timing, profiles_of, simulate
from simulation.tree import Tree, start_of

FIRST_DAY = date(2027, 1, 4)  # a Monday: the same calendar (weekends, holidays) in every run of the benchmark


def alone(book: PolicyBook, accounts: list, runs: int, seed: int, days: int) -> tuple[float, int]:
    """CPU seconds for these accounts each through the planner alone (its own course tree, every run), and the
    planner's decisions taken."""
    model, start = load_model(), start_of(FIRST_DAY)
    began, decisions = time.process_time(), 0
    for number, (profile, indices) in enumerate(profiles_of(accounts, Arm(BOOK, None), book).items()):
        for index in indices:
            policy = book.by_name(profile.policy)
            tree = Tree(profile, policy, start, start + timedelta(days=days), model.timing)
            walker = Walker(tree, policy, model, start, days)
            amount = np.array([float(accounts[index].amount)])
            for run in range(runs):
                walker.run(amount, np.random.default_rng([seed, run, number, index]))
            decisions += tree.decisions
    return time.process_time() - began, decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--sample", type=int, default=200, help="accounts timed alone for the baseline")
    args = parser.parse_args()
    book, model = PolicyBook(), load_model()
    accounts = SyntheticBook(accounts=args.accounts).draw(seed=1)
    timing = Timing()
    outcome = simulate(accounts, [Arm(BOOK, None)], model, book, runs=args.runs, seed=1, days=args.days,
                       first_day=FIRST_DAY, processes=args.processes, timing=timing)[0]  # fmt: skip
    sample = accounts[: args.sample]
    cpu_alone, decisions_alone = alone(book, sample, args.runs, 1, args.days)
    per_account_alone = cpu_alone / len(sample)
    projected = per_account_alone * args.accounts / args.processes  # the whole book, its work spread as ours is
    profiles = len(profiles_of(accounts, Arm(BOOK, None), book))
    summary = outcome.summary()
    report(
        f"simulator: {args.accounts:,} accounts x {args.days} days x {args.runs} runs, {args.processes} processes",
        [("wall time", f"{timing.seconds:.1f} s (target: under 60 s)"),
         ("CPU, all processes", f"{timing.cpu:.1f} s"),
         ("profiles (accounts alike to the planner)", f"{profiles:,}"),
         ("courses explored", f"{outcome.courses:,}"),
         ("planner decisions", f"{timing.decisions:,} ({timing.decisions / timing.cpu:,.0f} per CPU second)"),
         ("collected by the horizon", f"{summary['recovered_share']['mean']:.1%} "
                                      f"({summary['recovered_share']['low']:.1%}-{summary['recovered_share']['high']:.1%})"),
         ("baseline: each account alone", f"{per_account_alone * 1000:.1f} ms CPU an account over {args.runs} runs "
                                          f"({decisions_alone / len(sample):,.0f} decisions); the book: "
                                          f"{projected:,.0f} s on {args.processes} processes")],
        [("wall time / 60 s", timing.seconds / 60, "target: at most 1"),
         ("alone / shared (the whole book)", projected / timing.seconds, "informative: what sharing courses saves")],
    )  # fmt: skip


if __name__ == "__main__":
    main()
