"""Commands and facts that re-route an account: the payloads of its updates and signals.

Each carries its own `command_id`: sending the same command twice applies it once. The same id with other content
is a conflict, refused (`digest` tells them apart)."""

import hashlib
import json
from decimal import Decimal
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import BaseModel, EmailStr, Field, StringConstraints, field_validator, model_validator

from domain.address import PostalAddress
from domain.authority import Level
from domain.bounds import MAX_LIST, MAX_SHORT_TEXT, Day, Instant, Name, Note, Phone, Reference, ShortText
from domain.events import Amount, Identifier, Message, currency_code, optional, positive
from domain.money import check_amount
from domain.policy import Policy


class Command(Message):
    command_id: Identifier
    by: Name = Field(description="who gives the command: a collector, a supervisor, a system")


class PromiseTerms(Message):
    """What a debtor promises: an amount by a date."""

    amount: Amount
    currency: str
    promised_date: Day

    _currency = field_validator("currency")(currency_code)
    _positive = field_validator("amount")(positive)

    @model_validator(mode="after")
    def _amount_fits_currency(self) -> "PromiseTerms":
        check_amount(self.amount, self.currency)
        return self


class PromiseToPay(Command, PromiseTerms):
    """update `promise_to_pay`: the debtor promises an amount by a date."""


class InstallmentTerm(Message):
    amount: Amount
    due_date: Day

    _positive = field_validator("amount")(positive)


MAX_PLAN_DAILY_RATE = Decimal("0.001")  # 0.1% a day (seed 001 asks 0.02%): beyond it, a rate no court upholds


class PlanTerms(Message):
    """Installments that pay the whole balance, and seed 001's terms (「3期免息+第4期起按日息萬分之二」「每期固定還款額+
    小額手續費」): the first installment as a down payment, a plan fee paid with it, and interest at `daily_rate` on
    the principal still owed for each installment after the first `interest_free` ones."""

    currency: str
    installments: list[InstallmentTerm] = Field(min_length=1, max_length=MAX_LIST)
    down_payment: bool = Field(default=False, description="the first installment is a down payment")
    fee: Amount | None = Field(default=None, description="a plan fee, paid with the first installment")
    interest_free: int | None = Field(default=None, ge=0, le=MAX_LIST, description="installments without interest")
    daily_rate: Decimal | None = Field(default=None, gt=0, le=MAX_PLAN_DAILY_RATE, decimal_places=6,
                                       description="the daily rate after the free installments")  # fmt: skip

    _currency = field_validator("currency")(currency_code)
    _positive_fee = field_validator("fee")(optional(positive))

    @model_validator(mode="after")
    def _amounts_fit_currency(self) -> "PlanTerms":
        for term in self.installments:
            check_amount(term.amount, self.currency)
        if self.fee is not None:
            check_amount(self.fee, self.currency)
        if (self.interest_free is None) != (self.daily_rate is None):
            raise ValueError("interest_free and daily_rate go together: the free installments, then the rate")
        if self.interest_free is not None and self.interest_free >= len(self.installments):
            raise ValueError("interest_free leaves no installment to carry the rate: use no rate instead")
        return self


class AgreeInstallmentPlan(Command, PlanTerms):
    """update `agree_installment_plan`: the balance paid in installments (outside the policy's limits: an approval
    request, from rules 3)."""


class DisputeTerms(Message):
    """What the debtor contests: invoices, or (none named) the whole balance."""

    reason: ShortText
    invoice_ids: list[Identifier] = Field(default_factory=list, max_length=MAX_LIST)


class OpenDispute(Command, DisputeTerms):
    """update `open_dispute`: the debtor contests invoices (none named: the whole balance)."""


class ResolveDispute(Command):
    """update `resolve_dispute`: upheld (cancel, or reduce by `adjustment`) or rejected (collection resumes)."""

    dispute_id: Identifier
    resolution: Literal["upheld", "rejected"]
    adjustment: Amount | None = Field(default=None, description="upheld: reduce by this much instead of cancelling")
    note: Note | None = None

    _positive_adjustment = field_validator("adjustment")(optional(positive))


class ReportBankruptcy(Command):
    """signal `report_bankruptcy`."""

    case_reference: Reference = ""
    note: Note = ""


ContactResult = Literal["reached", "no_answer", "wrong_number", "refused"]


class ContactOutcome(Command):
    """signal `contact_outcome`: what happened when we tried to reach the debtor."""

    HAPPENED: ClassVar = ("at",)

    channel: Literal["phone", "email"]
    result: ContactResult
    at: Instant


TRACKING_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{3,39}$"  # a courier's tracking number (EMS, SF Express...)
TrackingNumber = Annotated[str, StringConstraints(pattern=TRACKING_PATTERN)]


class LetterDelivery(Command):
    """signal `letter_delivery`: a letter was posted under a tracking number (the mailroom), or delivered or returned
    (the courier). Followed by its tracking number; `step` names the letter on its first report."""

    HAPPENED: ClassVar = ("at",)

    event: Literal["posted", "delivered", "returned"]
    tracking_number: TrackingNumber
    step: Identifier | None = Field(default=None, description="the letter's step, such as d031-send_demand_letter")
    at: Instant
    proof_ref: Reference | None = Field(default=None, description="the courier's proof of delivery (a signature scan)")
    reason: ShortText | None = Field(default=None, description="why it came back: moved, refused, unknown address")


CallResult = Literal["reached", "no_answer", "wrong_number", "refused"]
VisitResult = Literal["visited", "not_found", "moved"]
CONVERSATION = ("reached", "visited")  # results where the debtor was met: what the conversation caps count
MAX_CALL_MINUTES = 24 * 60


class RecordContact(Command):
    """update `record_contact`: a call or visit a person made, as evidence (notes, what was agreed, a recording or
    photo), counted by the caps. What the debtor agreed to in it (a promise, a plan, a dispute) applies with it, by
    the same rules as its own command; `callback_at` moves the task to the time the debtor asked to be called."""

    HAPPENED: ClassVar = ("at",)

    channel: Literal["call", "visit"]
    result: CallResult | VisitResult
    at: Instant
    duration_minutes: int | None = Field(default=None, ge=0, le=MAX_CALL_MINUTES)
    notes: Note = ""
    agreed: Note = Field(default="", description="what was agreed, in words (a visit's minutes)")
    evidence_ref: Reference | None = Field(default=None, description="the recording's or photo's reference")
    task: Identifier | None = Field(default=None, description="the task this contact works (its step)")
    promise: PromiseTerms | None = None
    plan: PlanTerms | None = None
    dispute: DisputeTerms | None = None
    callback_at: Instant | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "RecordContact":
        if self.result not in get_args(CallResult if self.channel == "call" else VisitResult):
            raise ValueError(f"a {self.channel} cannot have the result {self.result!r}")
        agreed = [name for name in ("promise", "plan", "dispute") if getattr(self, name) is not None]
        if len(agreed) > 1:
            raise ValueError(f"one of promise, plan or dispute per contact, got {' and '.join(agreed)}")
        if (agreed or self.callback_at) and self.result not in CONVERSATION:
            raise ValueError("a promise, plan, dispute or callback needs a contact where the debtor was reached")
        return self

    def agreement(self) -> "PromiseToPay | AgreeInstallmentPlan | OpenDispute | None":
        """What was agreed, as its own command (its id derived from this one's: applied once with it)."""
        common = {"command_id": f"{self.command_id[:120]}.agreed", "by": self.by}
        if self.promise:
            return PromiseToPay.model_validate(common | self.promise.model_dump())
        if self.plan:
            return AgreeInstallmentPlan.model_validate(common | self.plan.model_dump())
        if self.dispute:
            return OpenDispute.model_validate(common | self.dispute.model_dump())
        return None


class CompleteTask(Command):
    """update `complete_task`: a person's task is done (an escalation decided, orders locked, the debtor traced),
    with its outcome and notes. Calls and visits are done by `record_contact`."""

    task: Identifier = Field(description="the task's step, as the account's status lists it")
    outcome: ShortText
    note: Note = ""


class UpdateContact(Command):
    """update `update_contact`: new contact details (ends lost contact)."""

    phone: Phone | None = None
    email: EmailStr | None = None
    address: PostalAddress | None = Field(default=None, description="the postal address letters go to")


class Pause(Command):
    """update `pause`: a supervisor stops all contact until a time."""

    reason: ShortText
    until: Instant


class Resume(Command):
    """update `resume`: end a pause now."""

    reason: ShortText | None = None


class CeaseCommunication(Command):
    """update `cease_communication`: the debtor asks us to stop contacting them (letters and calls included)."""

    reason: ShortText


class OverrideLimitation(Command):
    """update `override_limitation`: a supervisor allows legal action on a time-barred debt, with a reason."""

    reason: ShortText


class WriteOff(Command):
    """update `write_off`: close the account as written off."""

    reason: ShortText


class MigratePolicy(Command):
    """update `migrate_policy`: move the account to another policy or policy version. `keep_day` keeps the
    ladder's day (steps the new policy adds before it are skipped); `restart_at_stage` puts the ladder at the
    first day of `stage` (its steps from there run again, under new idempotency keys)."""

    policy: Policy
    mapping: Literal["keep_day", "restart_at_stage"] = "keep_day"
    stage: Identifier | None = None
    reason: ShortText


class ApprovalDecision(Command):
    """updates `approve_action` / `reject_action`: an approver decides a pending approval request. `approver_level`
    is the approver's authority, which the edge takes from the authenticated identity (never from the caller)."""

    step: Identifier
    reason: ShortText
    approver_level: Level | None = None


class ConfirmBalance(Command):
    """update `confirm_balance`: the debtor answered the balance confirmation letter. `confirmed`: they acknowledge
    the balance (a restart of the limitation period); `rejected`: they contest it, with the reason and the invoices
    (none named: the whole balance), which opens a dispute for review."""

    answer: Literal["confirmed", "rejected"]
    reason: ShortText | None = Field(default=None, description="what the debtor contests (required to reject)")
    invoice_ids: list[Identifier] = Field(default_factory=list, max_length=MAX_LIST)
    evidence_ref: Reference | None = Field(default=None, description="the signed confirmation's reference")
    note: Note = ""

    @model_validator(mode="after")
    def _reason_for_a_rejection(self) -> "ConfirmBalance":
        if self.answer == "rejected" and not self.reason:
            raise ValueError("a rejected balance needs the reason the debtor gives")
        if self.answer == "confirmed" and self.invoice_ids:
            raise ValueError("invoice_ids name what a rejection contests; a confirmation covers the balance")
        return self

    def dispute(self) -> "OpenDispute":
        """The dispute a rejection opens (its id derived from this one's: opened once with it)."""
        return OpenDispute(command_id=f"{self.command_id[:120]}.dispute", by=self.by,
                           reason=f"balance confirmation rejected: {self.reason}"[:MAX_SHORT_TEXT],
                           invoice_ids=self.invoice_ids)  # fmt: skip


class OfferSettlement(Command):
    """update `offer_settlement`: offer the debtor a settlement of one currency's balance: waive the interest, the
    fees, or settle for less (`settle_for`: what the debtor pays in full settlement), if paid by `expires_on`. It waits
    for approval by the policy's matrix for the amount given up (domain.settlements)."""

    currency: str
    waive_interest: bool = False
    waive_fees: bool = False
    settle_for: Amount | None = Field(default=None, description="what the debtor pays in full settlement")
    expires_on: Day = Field(description="the debtor's last day to pay, in their calendar")
    reason: ShortText

    _currency = field_validator("currency")(currency_code)
    _positive = field_validator("settle_for")(optional(positive))

    @model_validator(mode="after")
    def _gives_something(self) -> "OfferSettlement":
        if not (self.waive_interest or self.waive_fees or self.settle_for is not None):
            raise ValueError("an offer waives the interest, the fees, or settles for an amount (settle_for)")
        return self


class RecordSignature(Command):
    """update `record_signature`: the debtor's signed copy of a repayment agreement came back (rules 8): the date it
    bears and the scan's reference. It acknowledges the debt (the limitation period restarts) and, where the policy
    puts plans in force on signature, the plan takes effect."""

    agreement_id: Identifier = Field(description="as the status lists it, such as agreement-cli-1a2b3c")
    signed_on: Day = Field(description="the date the debtor signed, in their calendar")
    evidence_ref: Reference = Field(min_length=1, description="the signed copy's reference (a scan, a post receipt)")


class ConfirmLawyerLetter(Command):
    """update `confirm_lawyer_letter`: the law firm's answer to the draft of a lawyer's letter (rules 7). `issued`: the
    firm issued it, signed by the lawyer named (then it goes to the debtor under the firm's name); `declined`: it will
    not, with the reason (the step is skipped, saying so)."""

    step: Identifier = Field(description="the lawyer's letter step, such as d091-issue_lawyer_letter")
    answer: Literal["issued", "declined"]
    lawyer: Name | None = Field(default=None, description="who signed it (required when issued)")
    licence: Reference | None = Field(default=None, description="the lawyer's practising licence number")
    issued_on: Day | None = Field(default=None, description="the date the firm put on the letter")
    firm_reference: Reference | None = Field(default=None, description="the firm's own file reference")
    reason: ShortText | None = Field(default=None, description="why the firm declines (required to decline)")

    @model_validator(mode="after")
    def _complete(self) -> "ConfirmLawyerLetter":
        if self.answer == "issued" and not (self.lawyer and self.licence and self.issued_on):
            raise ValueError("an issued letter names its lawyer, the lawyer's licence and the date it bears")
        if self.answer == "declined" and not self.reason:
            raise ValueError("a declined letter needs the firm's reason")
        return self


class LegalOutcome(Command):
    """signal `legal_outcome`: how the case handed to legal ended."""

    outcome: Literal["settled", "judgment", "withdrawn", "uncollectable"]
    note: Note = ""


def digest(message: BaseModel) -> str:
    """What a command or a payment says, apart from its id, who sent it and when it happened (the edge defaults
    that to now, so a resend would differ): equal for a repeat, different for a conflicting reuse of the id."""
    ignored = {"command_id", "payment_id", "by", *getattr(message, "HAPPENED", ())}
    content = _unset_additions_dropped(message.model_dump(mode="json", exclude=ignored))
    name = getattr(message, "DIGEST_AS", type(message).__name__)  # a renamed model keeps the digests taken before
    return hashlib.sha256(json.dumps([name, content], sort_keys=True).encode()).hexdigest()[:24]


# Optional fields added to events and commands after accounts started running: unset, they are left out of the
# digest, so that a message sent again as it was first sent digests as it did then (else: a conflicting reuse).
ADDED_LATER = frozenset({"address", "creditor"})


def _unset_additions_dropped(value: object) -> object:
    if isinstance(value, dict):
        return {k: _unset_additions_dropped(v) for k, v in value.items() if not (k in ADDED_LATER and v is None)}
    if isinstance(value, list):
        return [_unset_additions_dropped(item) for item in value]
    return value


def total(terms: list[InstallmentTerm]) -> Decimal:
    return sum((t.amount for t in terms), Decimal(0))
