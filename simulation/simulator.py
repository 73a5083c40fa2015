"""simulate(book, arms, model, ...): each arm (a policy, or the book's own choice per account) over every account of
the book, in `runs` seeded runs, and what each arm gave (an `Outcome`). The planner's work is shared out among
processes by profile (simulation.tree), each process doing every run of its profiles."""

import multiprocessing
import time
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from domain.kinds import DEBTOR_CONTACT
from domain.policy import Policy
from domain.policy_book import PolicyBook, load_policy
from simulation.book import SimAccount, band
from simulation.responses import ResponseModel
from simulation.runs import Tally, Walker, kinds_of
from simulation.tree import Profile, Tree, start_of

CONTACT_KINDS = frozenset(kind.value for kind in DEBTOR_CONTACT)
BOOK = "book"  # the arm that keeps each account under the policy the book gives it today
MAX_RUNS = 1000
MAX_DAYS = 1095


@dataclass(frozen=True)
class Arm:
    label: str
    policy: Policy | None  # None: the book's choice for each account


def arm(spec: str, book: PolicyBook) -> Arm:
    """`book`, a policy of the book by name, or a policy file."""
    if spec == BOOK:
        return Arm(BOOK, None)
    path = Path(spec)
    if spec.endswith(".toml") or path.exists():
        policy = load_policy(path)
        known = {p.name for p in book.all()}
        return Arm(f"{policy.name} ({path})" if policy.name in known else policy.name, policy)
    return Arm(spec, book.by_name(spec))


@dataclass
class Outcome:
    """One arm's results over the runs: the figures people compare."""

    label: str
    accounts: int
    placed: float
    currency: str
    curves: np.ndarray  # runs x (days + 1): share of the placed balance collected by each day
    tallies: list[Tally]
    courses: int
    decisions: int

    def band(self, low: float = 5, high: float = 95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The curve's mean and its band (percentiles across runs)."""
        return self.curves.mean(0), np.percentile(self.curves, low, 0), np.percentile(self.curves, high, 0)

    def per_run(self, figure: str) -> np.ndarray:
        return np.array([_figure(t, figure, self.accounts) for t in self.tallies])

    def summary(self) -> dict[str, Any]:
        days = self.curves.shape[1] - 1
        recovered = self.curves[:, -1]
        collected = np.array([t.collected.sum() for t in self.tallies])
        costs = np.array([t.cost for t in self.tallies])
        cash_day = np.array([_mean_day(t) for t in self.tallies])
        return {
            "arm": self.label,
            "accounts": self.accounts,
            "placed": round(self.placed, 2),
            "currency": self.currency,
            "days": days,
            "recovered_share": _spread(recovered),
            "collected": _spread(collected, 2),
            "contacts_per_account": _spread(self.per_run("contacts")),
            "letters_per_account": _spread(self.per_run("letters")),
            "cost": _spread(costs, 2),
            "cost_per_unit_collected": _spread(_ratio(costs, collected)),
            "days_to_cash": _spread(cash_day, 1),
            "to_legal_share": _spread(self.per_run("to_legal")),
            "outcomes": {k: round(v / len(self.tallies), 1) for k, v in _outcomes(self.tallies).items()},
        }


def report(outcomes: Sequence[Outcome], context: dict[str, Any]) -> dict[str, Any]:
    """The outcomes as JSON data: each arm's summary and its curve (mean and band, by day), after `context`."""
    arms = []
    for outcome in outcomes:
        mean, low, high = outcome.band()
        arms.append({**outcome.summary(), "curve": {"mean": _rounded(mean), "low": _rounded(low),
                                                    "high": _rounded(high)}})  # fmt: skip
    return {**context, "arms": arms}


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 4) for v in values]


def _ratio(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.zeros_like(part), where=whole > 0)


def _figure(tally: Tally, figure: str, accounts: int) -> float:
    if figure == "contacts":
        return sum(n for kind, n in tally.actions.items() if kind in CONTACT_KINDS) / accounts
    if figure == "letters":
        return kinds_of(tally, "letter") / accounts
    return tally.to_legal / accounts


def _mean_day(tally: Tally) -> float:
    total = tally.collected.sum()
    return float((tally.collected * np.arange(len(tally.collected))).sum() / total) if total > 0 else float("nan")


def _spread(values: np.ndarray, digits: int = 4) -> dict[str, float]:
    """Mean and the 5th-95th percentile band across runs."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return {"mean": float("nan"), "low": float("nan"), "high": float("nan")}
    low, high = np.percentile(finite, [5, 95])
    return {"mean": round(float(finite.mean()), digits), "low": round(float(low), digits),
            "high": round(float(high), digits)}  # fmt: skip


def _outcomes(tallies: Sequence[Tally]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for tally in tallies:
        for outcome, count in tally.outcomes.items():
            totals[outcome] += count
    return dict(sorted(totals.items()))


@dataclass(frozen=True)
class Job:
    """A process's share: profiles, their accounts' balances and policies, and what to run."""

    profiles: list[tuple[int, Profile, Policy, np.ndarray]]  # (profile number, profile, policy, balances)
    model: ResponseModel
    first_day: date
    days: int
    runs: int
    seed: int


def _work(job: Job) -> tuple[list[Tally], int, int, float]:
    """Every run of the job's profiles: one tally a run, with the courses explored and decisions taken."""
    tallies = [Tally(job.days) for _ in range(job.runs)]
    start = start_of(job.first_day)
    courses = decisions = 0
    began = time.process_time()
    for number, profile, policy, amounts in job.profiles:
        tree = Tree(profile, policy, start, start + timedelta(days=job.days), job.model.timing)
        walker = Walker(tree, policy, job.model, start, job.days)
        for run in range(job.runs):
            tallies[run].add(walker.run(amounts, np.random.default_rng([job.seed, run, number])))
        courses, decisions = courses + tree.courses, decisions + tree.decisions
    return tallies, courses, decisions, time.process_time() - began


def profiles_of(accounts: Sequence[SimAccount], chosen: Arm, book: PolicyBook) -> dict[Profile, list[int]]:
    groups: dict[Profile, list[int]] = defaultdict(list)
    for index, account in enumerate(accounts):
        shown = band(account.amount)
        if chosen.policy is not None:
            policy = chosen.policy
        elif account.policy:
            policy = book.by_name(account.policy)
        else:
            policy = book.for_invoice(account.segment, account.currency, shown)
        profile = Profile(policy.name, account.segment, shown, account.currency, account.days_past_due,
                          account.timezone, account.locale, account.country, account.phone, account.email,
                          account.address)  # fmt: skip
        groups[profile].append(index)
    return groups


@dataclass
class Timing:
    seconds: float = 0.0  # wall clock
    cpu: float = 0.0  # over the processes
    decisions: int = 0


def simulate(
    accounts: Sequence[SimAccount],
    arms: Sequence[Arm],
    model: ResponseModel,
    book: PolicyBook,
    *,
    runs: int = 20,
    seed: int = 1,
    days: int = 120,
    first_day: date,
    processes: int = 1,
    timing: Timing | None = None,
) -> list[Outcome]:
    if not accounts:
        raise ValueError("the book has no account to simulate")
    if not 1 <= runs <= MAX_RUNS or not 1 <= days <= MAX_DAYS:
        raise ValueError(f"runs must be 1-{MAX_RUNS} and days 1-{MAX_DAYS}")
    currencies = {a.currency for a in accounts}
    if len(currencies) != 1:
        raise ValueError(f"one currency per simulation: the book has {', '.join(sorted(currencies))}")
    currency = currencies.pop()
    amounts = np.array([float(a.amount) for a in accounts])
    began = time.perf_counter()
    outcomes = []
    for chosen in arms:
        policies = {p.name: p for p in book.all()}
        if chosen.policy is not None:
            policies[chosen.policy.name] = chosen.policy
        groups = profiles_of(accounts, chosen, book)
        largest_first = sorted(groups.items(), key=lambda group: -len(group[1]))
        numbered = [(n, profile, policies[profile.policy], amounts[indices])
                    for n, (profile, indices) in enumerate(largest_first)]  # fmt: skip
        jobs = [Job(share, model, first_day, days, runs, seed) for share in _shares(numbered, processes)]
        results = _run(jobs, processes)
        tallies = [Tally(days) for _ in range(runs)]
        for job_tallies, _, _, _ in results:
            for total, part in zip(tallies, job_tallies, strict=True):
                total.add(part)
        placed = float(amounts.sum())
        curves = np.array([np.cumsum(t.collected) / placed for t in tallies])
        outcome = Outcome(chosen.label, len(accounts), placed, currency, curves, tallies,
                          sum(r[1] for r in results), sum(r[2] for r in results))  # fmt: skip
        outcomes.append(outcome)
        if timing is not None:
            timing.cpu += sum(r[3] for r in results)
            timing.decisions += outcome.decisions
    if timing is not None:
        timing.seconds = time.perf_counter() - began
    return outcomes


def _shares(numbered: list, processes: int) -> list[list]:
    """Profiles dealt to processes, largest first to the least loaded, by accounts."""
    shares: list[list] = [[] for _ in range(max(1, processes))]
    loads = [0] * len(shares)
    for item in numbered:
        least = loads.index(min(loads))
        shares[least].append(item)
        loads[least] += len(item[3])
    return [share for share in shares if share]


def _run(jobs: list[Job], processes: int) -> list[tuple[list[Tally], int, int, float]]:
    if processes <= 1 or len(jobs) == 1:
        return [_work(job) for job in jobs]
    with ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("fork")) as pool:
        return list(pool.map(_work, jobs))
