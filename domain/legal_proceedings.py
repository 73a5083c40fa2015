"""The legal case after the handoff, as its own lifecycle (seed 000: 「判決的獲得只是…第一步」, enforcement can be
applied for within 2 years; seeds 001 and 003: the payment order 支付令, asset preservation 訴前保全, mediation, the
defaulter list 失信被執行人名單).

The legal team records what happened (domain.case_messages.CaseStep); the case moves by it and by its own clocks:
a payment order served becomes effective when its objection window passes unopposed, a judgment when its appeal
window passes; from then the enforcement deadline runs, reminded before it lapses. Each stage gives the legal team a
task with its deadline. Pure: workflows.legal_case drives it, as the account's workflow drives domain.planner."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from domain.case_messages import CaseOutcome, CaseProgress, CaseStep
from domain.case_terms import CaseTerms
from domain.commands import digest

Stage = Literal[
    "filing", "payment_order", "objection_window", "lawsuit", "hearing", "appeal_window", "appeal",
    "enforcement_application", "enforcement", "closed",
]  # fmt: skip
STAGE_NAMES: dict[str, str] = {
    "filing": "to be filed",
    "payment_order": "payment order applied for",
    "objection_window": "payment order served: objection window",
    "lawsuit": "lawsuit filed",
    "hearing": "hearing set",
    "appeal_window": "judgment served: appeal window",
    "appeal": "on appeal",
    "enforcement_application": "enforceable: apply for enforcement",
    "enforcement": "in enforcement",
    "closed": "closed",
}
MAX_CASE_STEPS = 1000  # a case's history (a real one has tens): its state is carried whole, like an account's
# Where each step may be recorded.
ALLOWED: dict[str, tuple[str, ...]] = {
    "filed": ("filing",),
    "preservation": ("filing", "payment_order", "lawsuit", "hearing", "appeal", "enforcement_application"),
    "payment_order_served": ("payment_order",),
    "objection": ("objection_window",),
    "mediation": ("lawsuit", "hearing", "appeal"),
    "hearing_scheduled": ("lawsuit", "hearing", "appeal"),
    "judgment": ("lawsuit", "hearing", "appeal"),
    "appeal": ("appeal_window",),
    "enforcement_applied": ("enforcement_application",),
    "defaulter_listed": ("enforcement",),
}


class CaseEntry(BaseModel):
    at: datetime
    step: str
    detail: str
    by: str = "system"


class Judgment(BaseModel):
    on: date
    amount: Decimal
    costs: Decimal
    currency: str
    source: Literal["judgment", "mediation", "payment_order"] = "judgment"


class CaseState(BaseModel):
    case_id: str
    account_id: str
    account_workflow_id: str
    timezone: str
    currency: str
    claimed: Decimal
    opened_at: datetime
    terms: CaseTerms = CaseTerms()
    stage: Stage = "filing"
    stage_since: datetime
    entries: int = Field(default=1, description="stages entered: numbers the tasks of each")
    route: str | None = None
    court: str = ""
    reference: str = ""
    window_ends: date | None = Field(default=None, description="the objection or appeal window's last day")
    hearing_on: date | None = None
    judgment: Judgment | None = None
    appealed: bool = False
    effective_on: date | None = None
    enforcement_deadline: date | None = None
    lapsed: bool = False
    preservation: list[str] = []
    defaulter_listed_on: date | None = None
    reviews: int = 0
    outcome: str | None = None
    outcome_note: str = ""
    tasks_opened: list[str] = Field(default=[], description="task keys given to the legal team, once each")
    history: list[CaseEntry] = []
    commands: dict[str, str] = Field(default={}, description="command id -> its digest: a repeat applies once")
    to_tell: list[CaseProgress] = Field(default=[], description="for the account's workflow, in order, until sent")
    told: int = Field(default=0, description="news sent: numbers the next")

    # --- reading ---

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.timezone)).date()

    def instant(self, day: date, at: time = time(18)) -> datetime:
        """A deadline day as an instant: its end of office hours where the case is (a window: the next midnight)."""
        return datetime.combine(day, at, ZoneInfo(self.timezone))

    @property
    def news_prefix(self) -> str:
        """Part of the ids of the case's news to its account: short (a case id can be longer than a command id)."""
        return hashlib.sha256(self.case_id.encode()).hexdigest()[:16]

    # --- changing ---

    def log(self, now: datetime, step: str, detail: str, by: str = "system") -> None:
        self.history.append(CaseEntry(at=now, step=step, detail=detail, by=by))

    def enter(self, stage: Stage, now: datetime) -> None:
        self.stage, self.stage_since, self.entries = stage, now, self.entries + 1
        self.tell(now)

    def tell(self, now: datetime, costs: Decimal | None = None, note: str = "") -> None:
        """Queue where the case stands for the account's workflow (sent by the case's workflow, in order)."""
        deadline, step = next_deadline(self)
        self.to_tell.append(CaseProgress(
            command_id=f"case-{self.news_prefix}-{self.told + len(self.to_tell) + 1}",
            by=self.history[-1].by if self.history else "legal",
            case_id=self.case_id, stage=self.stage,
            next_deadline=self.today(deadline) if deadline else None, next_step=step,
            costs=costs, currency=self.currency if costs else None,
            outcome=self.outcome if self.outcome in get_args(CaseOutcome) else None, note=note,  # type: ignore[arg-type]
        ))  # fmt: skip


class CaseRejected(ValueError):
    """A step the case cannot take now: the reason is the answer."""


def check_step(case: CaseState, step: CaseStep, now: datetime) -> None:
    if step.command_id in case.commands:
        if case.commands[step.command_id] != digest(step):
            raise CaseRejected(f"command id {step.command_id} was already used for another step")
        return
    if case.stage == "closed":
        raise CaseRejected(f"case {case.case_id} is closed ({case.outcome})")
    if len(case.history) >= MAX_CASE_STEPS:
        raise CaseRejected(f"case {case.case_id} holds {MAX_CASE_STEPS} steps, as many as one case may: close it")
    if step.on is not None and step.on > case.today(now):
        raise CaseRejected(f"{step.step} on {step.on}: that day has not come yet")
    if step.step != "close" and case.stage not in ALLOWED[step.step]:
        raise CaseRejected(f"{step.step} cannot be recorded while the case is {STAGE_NAMES[case.stage]}")
    if step.step == "filed" and step.route == "payment_order" and case.route == "lawsuit":
        raise CaseRejected("the payment order was objected to: the claim goes to a lawsuit")
    if step.step == "judgment" and step.currency != case.currency:
        raise CaseRejected(f"the case is in {case.currency}, not {step.currency}")
    if step.step == "mediation" and step.result == "agreed" and step.amount_awarded is None:
        raise CaseRejected("an agreed mediation needs the amount agreed (amount_awarded, currency)")


def apply_step(case: CaseState, step: CaseStep, now: datetime) -> None:
    """Record a step the legal team took or saw (checked by `check_step` first)."""
    if step.command_id in case.commands:
        return
    case.commands[step.command_id] = digest(step)
    on = step.on or case.today(now)
    detail = _describe(step, on)
    case.log(now, step.step, detail, step.by)
    match step.step:
        case "filed":
            case.route, case.court, case.reference = step.route, step.court, step.reference
            case.enter("payment_order" if step.route == "payment_order" else "lawsuit", now)
        case "preservation":
            case.preservation.append(f"{on}: {step.reference or 'granted'}")
        case "payment_order_served":
            case.window_ends = on + timedelta(days=case.terms.objection_days)
            case.enter("objection_window", now)
        case "objection":
            case.route, case.window_ends = "lawsuit", None
            case.enter("filing", now)  # the payment order lapses: the claim must be filed as a lawsuit
        case "mediation" if step.result == "agreed":
            assert step.amount_awarded is not None and step.currency is not None
            _awarded(case, now, Judgment(on=on, amount=step.amount_awarded, costs=step.costs_awarded or Decimal(0),
                                         currency=step.currency, source="mediation"))  # fmt: skip
            _effective(case, on, now)  # a mediation agreement binds once signed: no appeal
        case "hearing_scheduled":
            case.hearing_on = step.hearing_on
            case.enter("hearing", now)
        case "judgment":
            assert step.amount_awarded is not None and step.currency is not None
            _awarded(case, now, Judgment(on=on, amount=step.amount_awarded, costs=step.costs_awarded or Decimal(0),
                                         currency=step.currency))  # fmt: skip
            if case.appealed:  # the second instance's judgment is final
                _effective(case, on, now)
            else:
                case.window_ends = on + timedelta(days=case.terms.appeal_days)
                case.enter("appeal_window", now)
        case "appeal":
            case.appealed, case.window_ends = True, None
            case.enter("appeal", now)
        case "enforcement_applied":
            case.reference = step.reference or case.reference
            case.enter("enforcement", now)
        case "defaulter_listed":
            case.defaulter_listed_on = on
            case.tell(now, note=detail)
        case "close":
            assert step.outcome is not None
            close(case, now, step.outcome, step.note)


def close(case: CaseState, now: datetime, outcome: str, note: str, tell: bool = True) -> None:
    """The case ends: by the legal team (`close`), or because the account closed (then the account is not told)."""
    case.outcome, case.outcome_note = outcome, note
    case.stage, case.stage_since = "closed", now
    if tell:
        case.tell(now, note=note)


def elapse(case: CaseState, now: datetime) -> None:
    """What the clocks decide: a window over unopposed makes the order or judgment effective; the enforcement
    deadline passed without an application lapses (the legal team is told and decides)."""
    today = case.today(now)
    if case.stage in ("objection_window", "appeal_window") and case.window_ends and today > case.window_ends:
        what = "payment order" if case.stage == "objection_window" else "judgment"
        case.log(now, "effective", f"the {what} is effective: no objection or appeal by {case.window_ends}")
        if case.stage == "objection_window":
            case.judgment = Judgment(on=case.window_ends, amount=case.claimed, costs=Decimal(0),
                                     currency=case.currency, source="payment_order")  # fmt: skip
        _effective(case, case.window_ends + timedelta(days=1), now)
    deadline = case.enforcement_deadline
    if case.stage == "enforcement_application" and deadline and today > deadline and not case.lapsed:
        case.lapsed = True
        case.log(now, "lapsed", f"the enforcement deadline {deadline} passed with no application recorded")
        case.tell(now, note="enforcement deadline passed")


@dataclass(frozen=True)
class CaseTask:
    key: str
    summary: str
    due_at: datetime


def next_task(case: CaseState, now: datetime) -> CaseTask | None:
    """The first task the case owes the legal team now and has not given yet."""
    return next((t for t in _tasks(case) if t.key not in case.tasks_opened and _given_at(case, t) <= now), None)


def next_deadline(case: CaseState) -> tuple[datetime | None, str]:
    """What the case waits for next and by when: its stage's task, or the end of its objection or appeal window."""
    if case.stage in ("objection_window", "appeal_window") and case.window_ends:
        what = "objection" if case.stage == "objection_window" else "appeal"
        return case.instant(case.window_ends), f"the {what} window ends: effective unless the debtor acts by then"
    task = current_task(case) if case.stage != "closed" else None
    return (task.due_at, task.summary) if task else (None, "")


def current_task(case: CaseState) -> CaseTask | None:
    """What the stage waits for (its latest task given, else its first): the status's next deadline."""
    main = [task for task in _tasks(case) if not _kind(task).startswith("reminder")]
    given = [task for task in main if task.key in case.tasks_opened]
    return given[-1] if given else next(iter(main), None)


def next_wake(case: CaseState, now: datetime) -> datetime | None:
    """When the case must look again by itself: a window's end, a reminder's day, the deadline, the next review."""
    times = [_given_at(case, t) for t in _tasks(case) if t.key not in case.tasks_opened]
    if case.stage in ("objection_window", "appeal_window") and case.window_ends:
        times.append(case.instant(case.window_ends + timedelta(days=1), time(0)))
    if case.stage == "enforcement_application" and case.enforcement_deadline and not case.lapsed:
        times.append(case.instant(case.enforcement_deadline + timedelta(days=1), time(0)))
    return min((t for t in times if t > now), default=None)


def open_tasks(case: CaseState) -> list[str]:
    """The keys of the tasks given for the current stage: the others are done (the case moved on)."""
    current = {task.key for task in _tasks(case)}
    return [key for key in case.tasks_opened if key in current]


def _tasks(case: CaseState) -> list[CaseTask]:
    terms, since, n = case.terms, case.stage_since, f"{case.entries:02d}"
    after = lambda days: case.instant(case.today(since) + timedelta(days=days))  # noqa: E731
    match case.stage:
        case "filing":
            what = ("file the claim as a lawsuit (the payment order was objected to)" if case.route == "lawsuit" else
                    "file the claim, or apply for a payment order 支付令 (a clear, undisputed debt); ask for asset "
                    "preservation 訴前保全 if assets may vanish")  # fmt: skip
            return [CaseTask(f"{n}-filing", what, after(terms.filing_days))]
        case "payment_order":
            return [CaseTask(f"{n}-payment-order", "follow the payment order up: record when the court served it on "
                             "the debtor", after(terms.court_days))]  # fmt: skip
        case "lawsuit" | "appeal":
            what = "the second instance" if case.stage == "appeal" else "the court"
            return [CaseTask(f"{n}-{case.stage}", f"follow {what} up: record the hearing date, a mediation or the "
                             "judgment", after(terms.court_days))]  # fmt: skip
        case "hearing":
            assert case.hearing_on is not None
            return [CaseTask(f"{n}-hearing", f"attend the hearing on {case.hearing_on}; record the judgment or the "
                             "mediation", case.instant(case.hearing_on))]  # fmt: skip
        case "enforcement_application":
            assert case.enforcement_deadline is not None
            due, deadline = case.instant(case.enforcement_deadline), case.enforcement_deadline
            tasks = [CaseTask(f"{n}-apply", f"apply for enforcement 申請執行 by {deadline}", due)]
            tasks += [CaseTask(f"{n}-reminder-{days}", f"{days} days left to apply for enforcement (by {deadline})",
                               due) for days in sorted(terms.reminders, reverse=True)
                      if deadline - timedelta(days=days) > case.today(since)]  # fmt: skip
            if case.lapsed:
                tasks.append(CaseTask(f"{n}-lapsed", f"the enforcement deadline {deadline} passed: record an "
                                      "application made in time, or close the case", after(0)))  # fmt: skip
            return tasks
        case "enforcement":
            listed = "" if case.defaulter_listed_on else "; ask for the defaulter list 失信被執行人名單 if unpaid"
            given = sum(key.startswith(f"{n}-review-") for key in case.tasks_opened)
            return [CaseTask(f"{n}-review-{i}", f"review the enforcement with the court{listed}",
                             after(terms.review_days * i)) for i in range(1, given + 2)]  # fmt: skip
    return []


def _given_at(case: CaseState, task: CaseTask) -> datetime:
    """A reminder is given its number of days before the deadline; any other task when its stage begins."""
    kind = _kind(task)
    if kind.startswith("reminder-") and case.enforcement_deadline:
        return case.instant(case.enforcement_deadline - timedelta(days=int(kind.split("-")[1])), time(9))
    if kind.startswith("review-") and kind != "review-1":  # the next review when the one before falls due
        return task.due_at - timedelta(days=case.terms.review_days)
    return case.stage_since


def _kind(task: CaseTask) -> str:
    return task.key.split("-", 1)[1]


def _awarded(case: CaseState, now: datetime, judgment: Judgment) -> None:
    case.judgment = judgment
    if judgment.costs:  # the account carries them as a cost item
        case.tell(now, costs=judgment.costs, note=f"court costs awarded by {judgment.source} of {judgment.on}")


def _effective(case: CaseState, day: date, now: datetime) -> None:
    """The order, agreement or judgment binds from `day`: enforcement can be applied for within the policy's years."""
    case.effective_on, case.window_ends = day, None
    year = day.year + case.terms.enforcement_years
    try:
        case.enforcement_deadline = day.replace(year=year)
    except ValueError:  # 29 February, in a common year
        case.enforcement_deadline = date(year, 2, 28)
    case.enter("enforcement_application", now)


def _describe(step: CaseStep, on: date) -> str:
    parts = [f"{step.step} on {on}"]
    for name in ("route", "court", "reference", "result", "hearing_on", "outcome"):
        value = getattr(step, name)
        if value:
            parts.append(f"{name.replace('_', ' ')} {value}")
    if step.amount_awarded is not None:
        parts.append(f"awarded {step.amount_awarded} {step.currency}")
    if step.costs_awarded:
        parts.append(f"costs {step.costs_awarded} {step.currency}")
    return ", ".join(parts) + (f": {step.note}" if step.note else "")
