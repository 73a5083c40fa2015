"""The messages of a legal case (domain.legal_proceedings): what the legal team records on the case's workflow
(`record_case_step`), what the case tells the account's workflow (`legal_case_progress`), and what the account tells
the case when it closes (`account_closed`)."""

from decimal import Decimal
from typing import Literal, get_args

from pydantic import Field, field_validator, model_validator

from domain.bounds import Day, Name, Note, Reference
from domain.commands import Command
from domain.events import Amount, Message, currency_code, optional
from domain.money import check_amount

# What the legal team records, in the order a case usually meets them (docs: README, *The legal case*).
CaseStepName = Literal[
    "filed",  # the claim filed, or a payment order 支付令 applied for (`route`)
    "preservation",  # pre-suit or litigation asset preservation 訴前保全 granted (`reference`)
    "payment_order_served",  # the court's payment order served on the debtor: the objection window runs
    "objection",  # the debtor objected to the payment order: it lapses, the claim goes to a lawsuit
    "mediation",  # a court mediation: `result` agreed (enforceable like a judgment) or failed
    "hearing_scheduled",  # the court set the hearing (`hearing_on`)
    "judgment",  # served on `on`: the amount awarded and the costs the debtor bears; the appeal window runs
    "appeal",  # a party appealed within the window
    "enforcement_applied",  # enforcement 申請執行 applied for (`reference`)
    "defaulter_listed",  # the debtor put on the defaulter list 失信被執行人名單
    "close",  # the case ends: `outcome`
]
STEPS: tuple[str, ...] = get_args(CaseStepName)
CaseOutcome = Literal["settled", "withdrawn", "uncollectable"]
Route = Literal["payment_order", "lawsuit"]


class CaseStep(Command):
    """update `record_case_step` on a case's workflow: what happened in the case, on the day it happened."""

    step: CaseStepName
    on: Day | None = Field(default=None, description="the day it happened (served, decided, filed), not in the "
                           "future; none: today where the case is")  # fmt: skip
    route: Route | None = Field(default=None, description="filed: a payment order or a lawsuit")
    court: Reference = ""
    reference: Reference = Field(default="", description="the court's case number, the preservation order...")
    result: Literal["agreed", "failed"] | None = Field(default=None, description="mediation: its result")
    hearing_on: Day | None = None
    amount_awarded: Amount | None = None
    costs_awarded: Amount | None = Field(default=None, description="court costs the debtor bears: a cost item")
    currency: str | None = None
    outcome: CaseOutcome | None = Field(default=None, description="close: how the case ends")
    note: Note = ""

    _currency = field_validator("currency")(optional(currency_code))

    @model_validator(mode="after")
    def _what_each_step_needs(self) -> "CaseStep":
        needs = {"filed": ("route",), "mediation": ("result",), "hearing_scheduled": ("hearing_on",),
                 "judgment": ("amount_awarded", "currency"), "close": ("outcome",)}  # fmt: skip
        missing = [name for name in needs.get(self.step, ()) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"{self.step} needs {' and '.join(missing)}")
        for amount in (self.amount_awarded, self.costs_awarded):
            if amount is not None:
                if self.currency is None:
                    raise ValueError("an amount needs its currency")
                check_amount(amount, self.currency)  # positive, and in the currency's minor units
        return self


class CaseProgress(Command):
    """signal `legal_case_progress` from a case's workflow to its account's: where the case stands, costs the court
    awarded (a cost item on the account, once), and how it ended."""

    case_id: str = Field(max_length=270)  # CASE-<account id>-<event id>: both identifiers, at most 128 each
    stage: str = Field(max_length=40)
    next_deadline: Day | None = None
    next_step: Note = ""
    costs: Decimal | None = None
    currency: str | None = None
    outcome: CaseOutcome | None = None
    note: Note = ""


class AccountClosed(Message):
    """signal `account_closed` from an account's workflow to its case's: the account closed (paid, settled, written
    off...), so the case ends too."""

    outcome: Name
    reason: Note = ""
