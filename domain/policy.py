"""Stage ladders as data: one TOML file per policy under policies/, picked by the debtor's segment."""

from datetime import time
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PositiveFloat, model_validator

from domain.agencies import Agency
from domain.authority import INSTALLMENT_PLAN, LEVELS, SETTLEMENT, WRITE_OFF, Level, band_level
from domain.case_terms import CaseTerms
from domain.contact_rules import ContactRules, Frozen
from domain.kinds import ActionKind
from domain.money import InterestTerms, Part, check_amount, percent
from domain.suit_costs import LitigationRules

DEFAULT_POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"


class Stage(Frozen):
    name: str
    from_day: int = Field(description="first day past due of this stage")


class Step(Frozen):
    day: int = Field(ge=-30, le=3650, description="days past the oldest unpaid due date")
    action: ActionKind
    template: str
    deadline_days: int | None = Field(default=None, ge=0, description="payment deadline given, in days")
    hands_to_legal: bool = Field(default=False, description="the case goes to the legal team when done")
    needs_approval: bool = False
    awaits_result: bool = Field(default=False, description="a task whose result the ladder waits for (rules 3)")
    id: str | None = Field(default=None, description="key of a side action (ladder steps derive theirs)")
    required: bool = Field(default=False, description="never skipped as late; no later debtor contact before it (4)")
    after: str | None = Field(default=None, description="key of an earlier step this one comes after (rules 4)")
    after_days: int = Field(default=0, ge=0, le=365, description="at least this many days after `after` was done")
    level: Level | None = Field(default=None, description="whom an escalation goes to (default: the manager)")

    @model_validator(mode="after")
    def _level_for_escalations(self) -> "Step":
        if self.level is not None and self.action != ActionKind.ESCALATION:
            raise ValueError(f"step {self.key}: only an escalation names a level")
        return self

    @cached_property
    def key(self) -> str:
        """Stable within a policy: part of every idempotency key. Kept once computed (the planner asks for it
        thousands of times an account; the step is frozen)."""
        return self.id or f"d{self.day:03d}-{self.action.value}"


class PromiseRules(Frozen):
    max_horizon_days: int = 30
    grace_days: int = 2
    max_open: int = 1
    max_broken: int = Field(default=2, description="after this many broken promises no more are accepted")
    on_broken: Literal["next_stage", "resume"] = "next_stage"


class InstallmentRules(Frozen):
    min_count: int = 2
    max_count: int = 6
    first_within_days: int = 30
    reminder_days_before: int = 3
    grace_days: int = 3
    on_default_stage: str = "strict"
    max_horizon_days: int | None = Field(default=None, description="last installment at most this far ahead")


class AgreementRules(Frozen):
    """Written repayment agreements (rules 8, domain.agreements): which promises need one (every plan does), when a
    plan takes effect, and how an unsigned one is chased."""

    promise_threshold: Decimal | None = Field(default=None, ge=0, description="a promise of at least this needs one")
    in_force: Literal["on_agreement", "on_signature"] = Field(
        default="on_agreement", description="a plan holds the ladder from its agreement, or only once signed"
    )
    remind_after_days: int = Field(default=7, ge=1, le=90, description="unsigned this long: an email reminder")
    task_after_days: int = Field(default=14, ge=1, le=180, description="unsigned this long: a collector's task")


class DisputeRules(Frozen):
    supervisor_reminder_days: int = 14


class LimitationRules(Frozen):
    years: int = Field(default=3, description="limitation period from the due date or the last restart")
    margin_days: int = Field(default=90, description="hand over to legal at least this long before it ends")
    legal_stage: str = "legal"
    presumed_delivery_days: int | None = Field(
        default=None, ge=1, le=60,
        description="a letter posted and not returned is presumed delivered this many days later (rules 6); none: "
        "only a delivery proven restarts the period",
    )  # fmt: skip


class InterestRules(Frozen):
    """Late interest: simple, from the due date (after `grace_days`), on the unpaid principal. It stops
    while an installment plan is in force or a bankruptcy stands."""

    rate: InterestTerms | None = Field(default=None, description="for invoices whose contract states no rate")
    max_annual_rate: Decimal | None = Field(default=None, gt=0, description="legal maximum: caps contract rates too")
    max_ratio: Decimal | None = Field(default=None, gt=0, description="total interest at most this share of principal")
    days_in_year: int = Field(default=365, ge=360, le=366)
    grace_days: int = Field(default=0, ge=0)

    def daily(self, contract: InterestTerms | None) -> Decimal:
        """The daily rate an invoice accrues at: its contract's, else the policy's, never above the cap."""
        terms = contract or self.rate
        if terms is None:
            return Decimal(0)
        rate = terms.daily(self.days_in_year)
        if self.max_annual_rate is not None:
            rate = min(rate, self.max_annual_rate / self.days_in_year)
        return rate

    def describe(self, contract: InterestTerms | None = None) -> str:
        terms = contract or self.rate
        if terms is None:
            return "none"
        cap = f", at most {percent(self.max_annual_rate)} a year" if self.max_annual_rate is not None else ""
        share = f", in total at most {percent(self.max_ratio)} of the principal" if self.max_ratio else ""
        return f"{terms.describe()} simple from the due date{cap}{share}"


class Fee(Frozen):
    """A late fee charged once when the account enters `stage`: a fixed amount in the listed currencies,
    otherwise `percent` of the unpaid principal."""

    stage: str
    amounts: dict[str, Decimal] = Field(default={}, description="currency -> fixed fee")
    percent: Decimal | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _amounts_fit(self) -> "Fee":
        for currency, amount in self.amounts.items():
            check_amount(amount, currency)
        if not self.amounts and self.percent is None:
            raise ValueError(f"fee for {self.stage} needs amounts or a percent")
        return self


class MoneyRules(Frozen):
    interest: InterestRules = InterestRules()
    fees: list[Fee] = Field(default=[])
    allocation: list[Part] = Field(
        default=["costs", "interest", "principal"], description="what a payment pays first (oldest invoice first)"
    )

    @model_validator(mode="after")
    def _every_part_once(self) -> "MoneyRules":
        if sorted(self.allocation) != ["costs", "interest", "principal"]:
            raise ValueError("money.allocation must list costs, interest and principal, each once")
        return self


class Authority(Frozen):
    """One row of the approval matrix: from this balance up, `subject` needs at least `level`."""

    subject: str = Field(description=f"a step's action, {WRITE_OFF!r}, {INSTALLMENT_PLAN!r} (a plan outside limits) or "
                                     f"{SETTLEMENT!r}")  # fmt: skip
    from_amount: Decimal = Field(default=Decimal(0), ge=0, description="the band starts at this balance (a settlement: "
                                 "at this amount given up)")  # fmt: skip
    level: Level

    @model_validator(mode="after")
    def _known_subject(self) -> "Authority":
        known = {kind.value for kind in ActionKind} | {WRITE_OFF, INSTALLMENT_PLAN, SETTLEMENT}
        if self.subject not in known:
            raise ValueError(f"approvals.matrix: unknown subject {self.subject!r}")
        return self


class ApprovalRules(Frozen):
    levels: list[Level] = Field(default=list(LEVELS), description="who is asked, in escalation order")
    remind_every_days: int = 2
    escalate_after_days: int = 5
    matrix: list[Authority] = Field(default=[], description="the lowest level that may approve, by subject and band")

    @model_validator(mode="after")
    def _ranked(self) -> "ApprovalRules":
        if not self.levels or self.levels != sorted(set(self.levels), key=LEVELS.index):
            raise ValueError(f"approvals.levels must list some of {', '.join(LEVELS)} once each, lowest first")
        unknown = {row.level for row in self.matrix} - set(self.levels)
        if unknown:
            raise ValueError(f"approvals.matrix names level(s) not in approvals.levels: {', '.join(sorted(unknown))}")
        return self

    def needed(self, subject: str, balance: Decimal) -> int:
        """The index in `levels` of the lowest level that may approve `subject` for an account owing `balance`
        (the first level when the matrix has no row for it)."""
        rows = [(row.subject, row.from_amount, row.level) for row in self.matrix]
        return self.levels.index(band_level(rows, subject, balance, self.levels[0]))  # type: ignore[arg-type]


class TeamRule(Frozen):
    """Accounts matching every condition given go to `team` (the first matching rule wins)."""

    team: str
    segments: list[str] = Field(default=[], description="none listed: any segment")
    countries: list[str] = Field(default=[], description="the debtor's country (ISO 3166); none listed: any")
    from_amount: Decimal = Field(default=Decimal(0), ge=0, description="the balance from which the rule applies")

    def matches(self, segment: str, country: str | None, balance: Decimal) -> bool:
        return (
            (not self.segments or segment in self.segments)
            and (not self.countries or country in self.countries)
            and balance >= self.from_amount
        )


class WorkRules(Frozen):
    """People's tasks: which team an account goes to, when a task is due, and who hears of it when it is not done by
    then (seed 002's chain)."""

    teams: list[TeamRule] = Field(default=[], description="the first matching rule names the account's team")

    due_days: int = Field(default=2, ge=0, description="a task whose step gives no deadline is due after this")
    escalation: list[str] = Field(
        default=["supervisor", "manager", "general_manager"], description="told in turn while a task is overdue"
    )
    escalate_every_days: int = Field(default=1, ge=1, description="between one level's notice and the next")
    awaits_result_days: int = Field(default=14, ge=1, description="a step that awaits a result waits this long")

    def team_for(self, segment: str, country: str | None, balance: Decimal) -> str | None:
        return next((rule.team for rule in self.teams if rule.matches(segment, country, balance)), None)


class Band(Frozen):
    """This policy also serves `segment`'s debtors whose invoice is in `currency` and reaches `from_amount` (seed 000:
    「金額較大…提前進入嚴格催收」, large debts go to strict collection sooner). The highest band reached wins."""

    segment: str
    currency: str
    from_amount: Decimal = Field(gt=0)


class Costs(Frozen):
    """What each action costs the creditor (postage, a collector's time, the law firm's fee), in one currency: the
    policy simulator's cost per unit collected. An action not listed costs nothing."""

    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    actions: dict[ActionKind, Decimal] = Field(default={}, description="action kind -> cost of one")

    @model_validator(mode="after")
    def _valid(self) -> "Costs":
        for kind, cost in self.actions.items():
            if cost < 0 or cost > 10**9:
                raise ValueError(f"costs.actions.{kind.value}: {cost} is not a cost (0 to 1,000,000,000)")
        return self


class Policy(Frozen):
    name: str
    version: int = 1
    description: str = ""
    segments: list[str]
    bands: list[Band] = Field(default=[], description="segments it serves from an amount on (PolicyBook.for_invoice)")
    creditor: str | None = Field(default=None, description="the creditor profile its accounts collect for, unless "
                                 "the invoice names one; none: the default profile")  # fmt: skip
    send_at: time = Field(default=time(9, 0), description="local time of day actions are taken")
    day_seconds: PositiveFloat | None = Field(
        default=None, description="compressed time for tests and demos: one 'day' lasts this many seconds"
    )
    stages: list[Stage]
    steps: list[Step]
    promises: PromiseRules = PromiseRules()
    installments: InstallmentRules = InstallmentRules()
    agreements: AgreementRules = AgreementRules()
    disputes: DisputeRules = DisputeRules()
    contact: ContactRules = ContactRules()
    approvals: ApprovalRules = ApprovalRules()
    work: WorkRules = WorkRules()
    limitation: LimitationRules = LimitationRules()
    litigation: LitigationRules = LitigationRules()
    legal_case: CaseTerms = CaseTerms()  # the case's clocks once handed over (rules 10)
    agencies: dict[str, Agency] = Field(default={}, description="the agencies in agencies/ beside it, when loaded")
    money: MoneyRules = MoneyRules()
    costs: Costs = Costs()

    @model_validator(mode="before")
    @classmethod
    def _repeat_steps(cls, data: Any) -> Any:
        """A step with `every_days` and `until_day` stands for one step every so many days up to that day."""
        if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
            return data
        if not any(isinstance(step, dict) and "every_days" in step for step in data["steps"]):
            return data
        steps = []
        for step in data["steps"]:
            if isinstance(step, dict) and "every_days" in step:
                step = dict(step)
                every, until = step.pop("every_days", None), step.pop("until_day", None)
                if not isinstance(every, int) or not isinstance(until, int) or every < 1 or until < step.get("day", 0):
                    raise ValueError(f"step {step}: a repeated step needs every_days >= 1 and until_day >= day")
                steps += [{**step, "day": day} for day in range(step["day"], until + 1, every)]
            else:
                steps.append(step)
        return {**data, "steps": sorted(steps, key=lambda s: s["day"] if isinstance(s, dict) else s.day)}

    @model_validator(mode="after")
    def _consistent(self) -> "Policy":
        if [s.from_day for s in self.stages] != sorted(s.from_day for s in self.stages):
            raise ValueError("stages must be listed in increasing from_day order")
        keys = [s.key for s in self.steps]
        if len(keys) != len(set(keys)):
            raise ValueError("two steps share a day and an action")
        if [s.day for s in self.steps] != sorted(s.day for s in self.steps):
            raise ValueError("steps must be listed in day order")
        if self.installments.on_default_stage not in {s.name for s in self.stages}:
            raise ValueError(f"installments.on_default_stage {self.installments.on_default_stage!r} is no stage")
        for index, step in enumerate(self.steps):
            if step.after is not None and step.after not in keys[:index]:
                raise ValueError(f"step {step.key}: after = {step.after!r} names no earlier step")
        unknown = {f.stage for f in self.money.fees} - {s.name for s in self.stages}
        if unknown:
            raise ValueError(f"money.fees name unknown stage(s): {', '.join(sorted(unknown))}")
        return self

    def next_stage_day(self, day: int) -> int | None:
        """First day of the stage after the one `day` is in (None in the last stage)."""
        return next((s.from_day for s in self.stages if s.from_day > day), None)

    def stage_start(self, name: str) -> int:
        return next(s.from_day for s in self.stages if s.name == name)

    def stage_at(self, day: int) -> str:
        """The stage an account is in at this many days past due ('pre_due' before the first stage)."""
        current = "pre_due"
        for stage in self.stages:
            if day >= stage.from_day:
                current = stage.name
        return current

    def stage_rank(self, name: str) -> int:
        names = ["pre_due", *(s.name for s in self.stages)]
        return names.index(name)
