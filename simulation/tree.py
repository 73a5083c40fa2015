"""The courses of a whole book, shared. Accounts the planner cannot tell apart (same policy, segment, band of
balance, days past due, timezone, locale, country and contact details: a `Profile`) follow one course until their
debtors answer differently; an answer (what, and when) starts a branch, explored once from the course's state at
that moment and shared by every account that answers so then, in every run. So a 100,000-account book costs the
planner a few thousand courses, not 100,000 (bench/simulator.py measures it)."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.account import RULES, AccountState
from domain.address import PostalAddress
from domain.commands import OpenDispute, PromiseToPay, ResolveDispute
from domain.events import Debtor, Invoice, InvoiceEvent, PaymentReceived
from domain.kinds import DEBTOR_CONTACT
from domain.money import to_minor
from domain.policy import Policy
from domain.rerouting import apply_dispute, apply_promise, apply_resolution, check_dispute, check_promise
from domain.rerouting.common import CommandRejected
from simulation.course import STAFF, Change, Course, copy, follow
from simulation.responses import Timing

SPONTANEOUS = "pay"  # a debtor paying with nobody asking pays as one answering does


@dataclass(frozen=True)
class Profile:
    """What the planner knows of an account, all the accounts of one profile alike."""

    policy: str
    segment: str
    amount: Decimal  # the band's (simulation.book.band)
    currency: str
    days_past_due: int
    timezone: str
    locale: str
    country: str | None
    phone: bool
    email: bool
    address: bool


@dataclass
class Node:
    """A course, and the branches off it so far, by (answer, when)."""

    course: Course
    start: datetime
    answer: str | None = None  # what the debtor did at `start` (None: the profile's first course)
    children: dict[tuple[str, datetime], "Node"] = field(default_factory=dict)
    # The account as it stood from each instant the course slept on (branches start from them).
    snapshots: list[tuple[datetime, AccountState]] = field(default_factory=list)

    def at(self, moment: datetime) -> AccountState:
        """The account as it stood at `moment` in this course (do not change it)."""
        return next(state for slept, state in reversed(self.snapshots) if slept <= moment)


class Tree:
    """The courses of one profile under its policy, explored as runs need them."""

    def __init__(self, profile: Profile, policy: Policy, start: datetime, until: datetime, timing: Timing) -> None:
        self.profile, self.timing, self.until = profile, timing, until
        self.currency = profile.currency
        origin = opened(profile, policy, start)
        self.principal = origin.invoices[0].amount
        self.root = self._node(origin, start, None)
        self.courses, self.decisions = 1, self.root.course.decisions

    def _node(self, origin: AccountState, start: datetime, answer: str | None) -> Node:
        """A course from `origin` at `start`. Its snapshots are taken where a branch can start: anywhere on a
        profile's first course (a debtor may pay unasked any day), and after an action reaching the debtor on the
        others (a debtor who answered only answers again to what follows)."""
        state, snapshots = copy(origin), []

        def keep(at: datetime, now: AccountState, course: Course) -> None:
            if answer is None or any(done.kind in DEBTOR_CONTACT for done in course.acts):
                snapshots.append((at, copy(now)))

        events = [] if answer is None else self.script(answer, start, state)
        return Node(follow(state, start, self.until, events, keep), start, answer, snapshots=snapshots)

    def explore(self, node: Node, wanted: Iterable[tuple[str, datetime]]) -> None:
        """Make the branches `wanted` off `node`."""
        for answer, at in wanted:
            if (answer, at) not in node.children:
                child = node.children[(answer, at)] = self._node(node.at(at), at, answer)
                self.courses += 1
                self.decisions += child.course.decisions

    def script(self, answer: str, at: datetime, state: AccountState) -> list[tuple[datetime, Change]]:
        """What the debtor does, as events at their times."""
        timing = self.timing
        if answer == "pay":
            return [(at, self._pay(Decimal(1)))]
        if answer == "partial":
            return [(at, self._pay(Decimal(str(timing.partial_share))))]
        if answer in ("promise_kept", "promise_broken"):
            made: list[bool] = []
            promise = [(at, self._promise(made))]
            keep = (at + timedelta(days=timing.promise_days), self._pay(Decimal(1), unless_broken=made))
            return [*promise, keep] if answer == "promise_kept" else promise
        upheld = answer == "dispute_upheld"
        return [(at, self._dispute()), (at + timedelta(days=timing.dispute_days), self._resolve(upheld))]

    def _owed(self, state: AccountState, now: datetime) -> Decimal:
        return state.balances(now).get(self.currency, Decimal(0))

    def _pay(self, share: Decimal, unless_broken: list[bool] | None = None) -> Change:
        def pay(state: AccountState, now: datetime) -> None:
            if unless_broken is not None and not unless_broken:
                return  # the promise was refused: nothing was promised, nothing is paid
            amount = to_minor(self._owed(state, now) * share, self.currency)
            if amount > 0:
                payment = PaymentReceived(payment_id=f"sim-{now:%Y%m%d%H%M%S}", amount=amount,
                                          currency=self.currency, received_at=now)  # fmt: skip
                state.add_payment(payment, now)

        return pay

    def _promise(self, made: list[bool]) -> Change:
        def promise(state: AccountState, now: datetime) -> None:
            owed = self._owed(state, now)
            if owed <= 0:
                return
            day = state.clock().local_day(now) + timedelta(days=self.timing.promise_days)
            command = PromiseToPay(command_id=f"sim-promise-{now:%Y%m%d%H%M%S}", by=STAFF, amount=owed,
                                   currency=self.currency, promised_date=day)  # fmt: skip
            try:
                check_promise(state, command, now)  # the policy may refuse it (too many broken before)
            except CommandRejected:
                return
            apply_promise(state, command, now)
            made.append(True)

        return promise

    def _dispute(self) -> Change:
        def dispute(state: AccountState, now: datetime) -> None:
            command = OpenDispute(command_id=f"sim-dispute-{now:%Y%m%d%H%M%S}", by=STAFF, reason="simulated")
            try:
                check_dispute(state, command, now)
            except CommandRejected:
                return
            apply_dispute(state, command, now)

        return dispute

    def _resolve(self, upheld: bool) -> Change:
        def resolve(state: AccountState, now: datetime) -> None:
            for dispute in [d for d in state.disputes if d.state == "open" and d.dispute_id.startswith("sim-")]:
                decided = ResolveDispute(command_id=f"sim-resolve-{dispute.dispute_id}", by=STAFF,
                                         dispute_id=dispute.dispute_id,
                                         resolution="upheld" if upheld else "rejected")  # fmt: skip
                apply_resolution(state, decided, now)

        return resolve


def opened(profile: Profile, policy: Policy, start: datetime) -> AccountState:
    """The account as its workflow would hold it at `start`: one invoice `days_past_due` past due, and the ladder
    steps of the days before it done."""
    zone = ZoneInfo(profile.timezone)
    today = start.astimezone(zone).date()
    due = today - timedelta(days=profile.days_past_due)
    address = PostalAddress(lines=["模拟路1号"], city="模拟市", country=profile.country or "CN")
    debtor = Debtor(
        name="模拟债务人", phone="+8613800000000" if profile.phone else None,
        email="debtor@example.com" if profile.email else None, timezone=profile.timezone, locale=profile.locale,
        segment=profile.segment, country=profile.country, address=address if profile.address else None,
    )  # fmt: skip
    event = InvoiceEvent(
        event_id="sim-1", type="invoice.overdue" if due <= today else "invoice.issued", occurred_at=start,
        account_id="SIM", debtor=debtor,
        invoice=Invoice(invoice_id="SIM-1", amount=profile.amount, currency=profile.currency, due_date=due),
    )  # fmt: skip
    state = AccountState(workflow_id="collection-SIM", account_id="SIM", policy=policy, rules=RULES)
    state.add_invoice(event, start)
    for step in policy.steps:
        if 0 < step.day < profile.days_past_due:
            state.record_step(start, step.key, "done", "done before the simulation", step.day, action=step.action)
    return state


def start_of(day: date) -> datetime:
    """The simulation's time zero: midnight UTC of its first day."""
    return datetime.combine(day, time(0), tzinfo=UTC)
