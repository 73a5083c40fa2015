"""A debtor response model fitted from what really happened: each contact with a debtor (the contact log: messages
and letters sent, calls and visits made) and what the debtor did within the model's longest delay after it (the
accounts' facts: paid in full, paid in part, promised and kept or broken, disputed and upheld or not). The first
answer after a contact is that contact's; an answer with no contact before it in that window is unasked, and counts
towards the spontaneous rate: unasked answers per account-day outside the windows after contacts, over each
account's span from its first contact or answer to its last (a rough exposure, said so in the file).

Rows are written for each action kind with at least MIN_CONTACTS contacts, and for each (action, segment) with as
many; the catch-all row is the whole log's. What a row could not observe keeps the default model's figures, and the
file says how many contacts each row stands on. `collections simulate calibrate` writes it; `--model` uses it."""

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from simulation.responses import ANSWERS, ANY, Answers, ResponseModel, Timing

MIN_CONTACTS = 30


@dataclass(frozen=True)
class Contact:
    account_id: str
    at: datetime
    action: str


@dataclass
class Observed:
    contacts: int = 0
    answers: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    delays: list[float] = field(default_factory=list)  # days from the contact to its answer


@dataclass(frozen=True)
class Answer:
    at: datetime
    kind: str  # one of ANSWERS


def answers_of(facts: Iterable[object]) -> dict[str, list[Answer]]:
    """Each account's answers, in time order, from its facts (store.models.AccountFact rows)."""
    events: dict[str, list[tuple[datetime, str, object]]] = defaultdict(list)
    for fact in facts:
        events[fact.account_id].append((fact.at, fact.kind, fact))  # type: ignore[attr-defined]
    found: dict[str, list[Answer]] = {}
    for account, items in events.items():
        items.sort(key=lambda item: item[0])
        closed_paid = next(
            (at for at, kind, f in items if kind == "closed" and getattr(f, "detail", "") == "paid"), None
        )
        judged = {getattr(f, "key", "").rsplit(":", 1)[0]: kind for at, kind, f in items
                  if kind in ("promise_kept", "promise_broken")}  # fmt: skip
        answers: list[Answer] = []
        for at, kind, fact in items:
            if kind == "paid":
                answers.append(Answer(at, "pay" if closed_paid is not None and at == closed_paid else "partial"))
            elif kind == "promise":
                kept = judged.get(getattr(fact, "key", "")) == "promise_kept"
                answers.append(Answer(at, "promise_kept" if kept else "promise_broken"))
            elif kind == "dispute":
                upheld = getattr(fact, "detail", "") == "upheld"
                answers.append(Answer(at, "dispute_upheld" if upheld else "dispute"))
        found[account] = _first_per_instant(answers)
    return found


def _first_per_instant(answers: list[Answer]) -> list[Answer]:
    """A payment that keeps a promise is the promise's answer, not a new one: an answer right after another of the
    same account within a day is the same answer."""
    kept: list[Answer] = []
    for answer in answers:
        if kept and answer.at - kept[-1].at < timedelta(days=1) and kept[-1].kind.startswith("promise"):
            continue
        kept.append(answer)
    return kept


def observe(contacts: Sequence[Contact], answers: dict[str, list[Answer]], segments: dict[str, str],
            window: timedelta) -> tuple[dict[tuple[str, str], Observed], tuple[int, float]]:  # fmt: skip
    """Per (action, segment): contacts and the answers that followed them; and (unasked answers, account-days
    without a contact), for the spontaneous rate."""
    by_account: dict[str, list[Contact]] = defaultdict(list)
    for contact in sorted(contacts, key=lambda c: c.at):
        by_account[contact.account_id].append(contact)
    observed: dict[tuple[str, str], Observed] = defaultdict(Observed)
    unasked, quiet_days = 0, 0.0
    for account in set(by_account) | set(answers):
        mine, theirs = by_account.get(account, []), answers.get(account, [])
        times = [c.at for c in mine]
        taken: set[int] = set()
        for contact in mine:
            observed[(contact.action, segments.get(account, ANY))].contacts += 1
        for answer in theirs:
            index = bisect.bisect_left(times, answer.at) - 1  # the latest contact before the answer
            if index >= 0 and answer.at - times[index] <= window and index not in taken:
                taken.add(index)
                cell = observed[(mine[index].action, segments.get(account, ANY))]
                cell.answers[answer.kind] += 1
                cell.delays.append((answer.at - times[index]).total_seconds() / 86400)
            elif index < 0 or answer.at - times[index] > window:
                unasked += 1
        if theirs or mine:
            first = min([*times, *(a.at for a in theirs)])
            last = max([*times, *(a.at for a in theirs)])
            covered = len(mine) * window.total_seconds() / 86400
            quiet_days += max(1.0, (last - first).total_seconds() / 86400 - covered)
    return dict(observed), (unasked, quiet_days)


def fit(contacts: Sequence[Contact], facts: Iterable[object], segments: dict[str, str], default: ResponseModel,
        name: str = "calibrated") -> tuple[ResponseModel, dict[str, int]]:  # fmt: skip
    """The model, and how many contacts each of its rows stands on (by the row's where)."""
    window = timedelta(days=max(default.timing.delays) + 1)
    observed, (unasked, quiet_days) = observe(contacts, answers_of(facts), segments, window)
    rows: list[Answers] = []
    support: dict[str, int] = {}
    totals: Observed = Observed()
    by_action: dict[str, Observed] = defaultdict(Observed)
    for (action, _segment), cell in observed.items():
        for target in (totals, by_action[action]):
            target.contacts += cell.contacts
            for kind, count in cell.answers.items():
                target.answers[kind] += count
            target.delays += cell.delays
    catch_all = next(row for row in default.answers if row.specificity() == (False, False, False))
    rows.append(_row(totals, ANY, ANY, catch_all))
    support[f"action={ANY} segment={ANY}"] = totals.contacts
    for action, cell in sorted(by_action.items()):
        if cell.contacts >= MIN_CONTACTS:
            rows.append(_row(cell, action, ANY, rows[0]))
            support[f"action={action} segment={ANY}"] = cell.contacts
    for (action, segment), cell in sorted(observed.items()):
        if cell.contacts >= MIN_CONTACTS and segment != ANY:
            rows.append(_row(cell, action, segment, rows[0]))
            support[f"action={action} segment={segment}"] = cell.contacts
    delays = [d for cell in observed.values() for d in cell.delays]
    timing = _timing(delays, default.timing)
    spontaneous = {ANY: min(1.0, unasked / quiet_days) if quiet_days else default.daily_payment(ANY)}
    model = ResponseModel(name=name, description=f"fitted from {totals.contacts} contacts and their answers",
                          timing=timing, spontaneous=spontaneous, answers=rows)  # fmt: skip
    return model, support


def _row(cell: Observed, action: str, segment: str, fallback: Answers) -> Answers:
    if cell.contacts == 0:
        return fallback.model_copy(update={"action": action, "segment": segment})
    chances = {kind: cell.answers.get(kind, 0) / cell.contacts for kind in ANSWERS}
    return Answers.model_validate({"action": action, "segment": segment, **chances})


def _timing(delays: list[float], default: Timing) -> Timing:
    """The default's delays, with the shares observed (each answer to the nearest delay)."""
    if not delays:
        return default
    counts = [0] * len(default.delays)
    for delay in delays:
        nearest = min(range(len(default.delays)), key=lambda i: abs(default.delays[i] - delay))
        counts[nearest] += 1
    shares = [count / len(delays) for count in counts]
    return default.model_copy(update={"delay_shares": shares})


def as_toml(model: ResponseModel, support: dict[str, int]) -> str:
    """The model as a response model file (simulation/default-responses.toml's format)."""
    lines = [f"# {model.description}. Contacts each row stands on: see the comment above it.",
             f'name = "{model.name}"', f'description = "{model.description}"', "", "[timing]",
             f"delays = {list(model.timing.delays)}",
             f"delay_shares = [{', '.join(f'{s:.4f}' for s in model.timing.delay_shares)}]",
             f"promise_days = {model.timing.promise_days}", f"partial_share = {model.timing.partial_share}",
             f"dispute_days = {model.timing.dispute_days}", "", "[spontaneous]"]  # fmt: skip
    lines += [f'"{segment}" = {rate:.6f}' for segment, rate in model.spontaneous.items()]
    for row in model.answers:
        where = f"action={row.action} segment={row.segment}"
        lines += ["", f"# {support.get(where, 0)} contacts", "[[answers]]"]
        lines += [
            f'{key} = "{getattr(row, key)}"' for key in ("action", "segment", "stage") if getattr(row, key) != ANY
        ]
        lines += [f"{kind} = {getattr(row, kind):.6f}" for kind in ANSWERS]
    return "\n".join(lines) + "\n"
