"""Planner micro-benchmark: plan() decisions per second on realistic account states, against the baseline of
plan() on a fresh one-invoice account (its first decision: send the day-1 SMS). The realistic states are every
state at which the planner decided along a 120-day life on the commercial policy (interest and fees): three
invoices, payments, a kept and a broken promise, a dispute, contacts, a growing history; acts and waits alike.
Pure Python: no Temporal, no I/O."""

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bench.common import report
from domain.account import AccountState
from domain.commands import OpenDispute, PromiseToPay
from domain.planner import plan
from domain.policy_book import PolicyBook
from domain.rerouting import apply_dispute, apply_promise
from tests.domain.simulate import open_account, simulate
from tests.factories import overdue, payment

START = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


def fresh() -> list[tuple[AccountState, datetime]]:
    return [(open_account(PolicyBook().for_segment("standard"), START), START)]


def realistic() -> list[tuple[AccountState, datetime]]:
    """Each state an account went through in 120 days of the commercial ladder, with most of what can happen."""
    state = open_account(PolicyBook().for_segment("commercial"), START, amount="48000.00")
    for n, amount in ((2, "12000.00"), (3, "7500.50")):
        state.add_invoice(overdue(event_id=f"evt-{n}", invoice_id=f"INV-{n}", amount=amount, occurred_at=START), START)

    def promise(s: AccountState, now: datetime, cid: str, amount: str) -> None:
        day = s.clock().local_day(now) + timedelta(days=5)
        command = PromiseToPay(command_id=cid, by="bench", amount=amount, currency="CNY", promised_date=day)
        apply_promise(s, command, now)

    events: dict[datetime, Callable[[AccountState, datetime], None]] = {
        START + timedelta(days=8): lambda s, now: promise(s, now, "p1", "1000.00"),
        START + timedelta(days=10): lambda s, now: s.add_payment(payment("PAY-1", "1000.00", at=now), now),
        START + timedelta(days=25): lambda s, now: promise(s, now, "p2", "5000.00"),
        START + timedelta(days=40): lambda s, now: s.add_payment(payment("PAY-2", "2500.00", at=now), now),
        START + timedelta(days=50): lambda s, now: apply_dispute(
            s, OpenDispute(command_id="d1", by="bench", reason="short delivery", invoice_ids=["INV-3"]), now
        ),
    }
    seen: list[tuple[AccountState, datetime]] = []
    simulate(state, START, START + timedelta(days=120), events,
             watch=lambda s, decision, now: seen.append((s.model_copy(deep=True), now)))  # fmt: skip
    return seen


def rate(states: list[tuple[AccountState, datetime]], seconds: float) -> float:
    """Decisions per second over `seconds`, round the given states (plan() changes none of them)."""
    count, deadline = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        for state, now in states:
            plan(state, now)
        count += len(states)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to measure each case (default 5)")
    args = parser.parse_args()
    states = realistic()
    base, ours = rate(fresh(), args.seconds), rate(states, args.seconds)
    history = max(len(s.history) for s, _ in states)
    report(
        "planner: plan() decisions per second",
        [("fresh account, first decision (baseline)", f"{base:,.0f} decisions/s"),
         ("realistic states", f"{ours:,.0f} decisions/s over {len(states)} states (up to {history} history entries)"),
         ("time per realistic decision", f"{1e6 / ours:,.0f} µs")],
        [("realistic / fresh", ours / base, "informative: what a real account's rules cost over the simplest")],
    )  # fmt: skip


if __name__ == "__main__":
    main()
