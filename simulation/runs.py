"""Seeded runs of a book over its shared courses (simulation.tree): in each run every debtor draws, after each action
that reaches them, whether and when they answer (simulation.responses), and a day of their own on which they would
pay unasked. What a run gives is summed over the accounts: money collected by day, actions taken, their cost, the
accounts handed to legal (a `Tally`).

Draws are seeded by (seed, run, profile): a run's figures do not depend on how the profiles are shared among
processes, so the same seed gives the same figures."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np

from domain.kinds import DEBTOR_CONTACT, KINDS, ActionKind
from domain.policy import Policy
from simulation.responses import ANSWERS, ResponseModel
from simulation.tree import SPONTANEOUS, Node, Profile, Tree

DAY = 86_400.0
ANSWER_DELAY = 3 * 3600  # an answer comes three hours into its day: after that morning's actions
SILENT = len(ANSWERS)
PAID = "paid"


@dataclass
class Tally:
    """What one run gave, summed over its accounts."""

    days: int
    collected: np.ndarray = field(init=False)  # money collected on each day
    actions: dict[str, int] = field(default_factory=dict)  # actions taken, by kind
    cost: float = 0.0
    to_legal: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # how accounts ended: paid, legal, cancelled, open...

    def __post_init__(self) -> None:
        self.collected = np.zeros(self.days + 1)

    def add(self, other: "Tally") -> None:
        self.collected += other.collected
        for kind, count in other.actions.items():
            self.actions[kind] = self.actions.get(kind, 0) + count
        for outcome, count in other.outcomes.items():
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + count
        self.cost += other.cost
        self.to_legal += other.to_legal


@dataclass(frozen=True)
class Step:
    """An action of a course, as a run needs it."""

    at: float  # seconds from the simulation's start
    kind: str
    cost: float
    chances: np.ndarray | None  # cumulative chances of each answer (None: it does not reach the debtor)
    to_legal: bool


class Walker:
    """Runs one profile's accounts over its tree."""

    def __init__(self, tree: Tree, policy: Policy, model: ResponseModel, start: datetime, days: int) -> None:
        self.tree, self.model, self.start, self.days = tree, model, start, days
        self.profile: Profile = tree.profile
        costs = policy.costs
        self.costs = {k.value: float(v) for k, v in costs.actions.items()} if costs.currency == tree.currency else {}
        timing = model.timing
        self.delays = np.array(timing.delays) * DAY + ANSWER_DELAY
        self.delay_chances = np.cumsum(timing.delay_shares)
        self.steps: dict[int, list[Step]] = {}
        self.chances: dict[tuple[ActionKind, str], np.ndarray] = {}

    def seconds(self, at: datetime) -> float:
        return (at - self.start).total_seconds()

    def _steps(self, node: Node) -> list[Step]:
        steps = self.steps.get(id(node))
        if steps is None:
            steps = self.steps[id(node)] = [
                Step(self.seconds(done.at), done.kind.value, self.costs.get(done.kind.value, 0.0),
                     self._chances(done.kind, done.stage) if done.kind in DEBTOR_CONTACT else None, done.to_legal)
                for done in node.course.acts
            ]  # fmt: skip
        return steps

    def _chances(self, kind: ActionKind, stage: str) -> np.ndarray:
        key = (kind, stage)
        if key not in self.chances:
            self.chances[key] = np.cumsum(self.model.answers_for(kind, self.profile.segment, stage).chances())
        return self.chances[key]

    def run(self, amounts: np.ndarray, rng: np.random.Generator) -> Tally:
        tally = Tally(self.days)
        chance = self.model.daily_payment(self.profile.segment)
        unasked = np.full(len(amounts), np.inf)
        if chance > 0:
            days = rng.geometric(chance, len(amounts))
            unasked = np.where(days <= self.days, days * DAY - DAY / 2, np.inf)
        work: list[tuple[Node, np.ndarray]] = [(self.tree.root, np.arange(len(amounts)))]
        while work:
            node, members = work.pop()
            work.extend(self._walk(node, members, amounts, unasked, rng, tally))
        return tally

    def _walk(self, node: Node, members: np.ndarray, amounts: np.ndarray, unasked: np.ndarray,
              rng: np.random.Generator, tally: Tally) -> list[tuple[Node, np.ndarray]]:  # fmt: skip
        """Take `members` along `node`'s course: count its actions, draw their answers, collect its payments; return
        the branches they leave for."""
        # A debtor pays unasked on their day only if they have not answered before it: once they have, their answer
        # decides (the course they are on is one of its branches).
        leave = unasked[members].copy() if node.answer is None else np.full(len(members), np.inf)
        answer = np.full(len(members), ANSWERS.index(SPONTANEOUS))
        pending = np.zeros(len(members), dtype=bool)
        for step in self._steps(node):
            here = leave > step.at
            count = int(here.sum())
            if count == 0:
                break
            tally.actions[step.kind] = tally.actions.get(step.kind, 0) + count
            tally.cost += step.cost * count
            if step.to_legal:
                tally.to_legal += count
                leave[here], answer[here] = step.at, SILENT  # with legal: they leave the simulation here
                continue
            if step.chances is None:
                continue
            asked = np.flatnonzero(here & ~pending)
            drawn = np.searchsorted(step.chances, rng.random(len(asked)), side="right")
            answering = asked[drawn < SILENT]
            if len(answering) == 0:
                continue
            delay = self.delays[np.searchsorted(self.delay_chances, rng.random(len(answering)), side="right")]
            at = step.at + delay
            sooner = at < leave[answering]
            chosen = answering[sooner]
            leave[chosen], answer[chosen], pending[chosen] = at[sooner], drawn[drawn < SILENT][sooner], True
        end: float = self.seconds(node.course.end) if node.course.end else self.days * DAY
        for paid_at, amount in node.course.paid:
            moment = self.seconds(paid_at)
            present = leave > moment
            self._collect(tally, moment, float(amount) / float(self.tree.principal), amounts[members[present]])
        staying = leave >= end  # to the course's end: closed with it, handed to legal, or still open at the horizon
        outcome = node.course.outcome or "open"
        tally.outcomes[outcome] = tally.outcomes.get(outcome, 0) + int(staying.sum())
        return self._branches(node, members, leave, answer, ~staying & (answer != SILENT), amounts, tally)

    def _branches(self, node: Node, members: np.ndarray, leave: np.ndarray, answer: np.ndarray, going: np.ndarray,
                  amounts: np.ndarray, tally: Tally) -> list[tuple[Node, np.ndarray]]:  # fmt: skip
        groups: dict[tuple[str, datetime], list[int]] = {}
        for index in np.flatnonzero(going).tolist():
            when = self.start + timedelta(seconds=float(leave[index]))
            groups.setdefault((ANSWERS[int(answer[index])], when), []).append(index)
        self.tree.explore(node, [key for key in groups if key[0] != "pay"])
        branches = []
        for (answered, when), indices in groups.items():
            who = members[indices]
            if answered == "pay":  # all that is owed: the account closes paid, nothing follows
                share = float(self._owed(node, when)) / float(self.tree.principal)
                self._collect(tally, self.seconds(when), share, amounts[who])
                tally.outcomes[PAID] = tally.outcomes.get(PAID, 0) + len(who)
            else:
                branches.append((node.children[(answered, when)], who))
        return branches

    def _owed(self, node: Node, at: datetime) -> Decimal:
        return node.at(at).balances(at).get(self.tree.currency, Decimal(0))

    def _collect(self, tally: Tally, at: float, share: float, amounts: np.ndarray) -> None:
        day = min(int(at // DAY), self.days)
        tally.collected[day] += share * float(amounts.sum())


def kinds_of(tally: Tally, output: str) -> int:
    """How many of the tally's actions produce `output` (letter, sms, email, task)."""
    return sum(count for kind, count in tally.actions.items() if KINDS[ActionKind(kind)].output == output)
