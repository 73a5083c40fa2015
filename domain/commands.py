"""Commands and facts that re-route an account: the payloads of its updates and signals.

Each carries its own `command_id`: sending the same command twice applies it once. The same id with other content
is a conflict, refused (`digest` tells them apart)."""

import hashlib
import json
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import BaseModel, EmailStr, Field, field_validator, model_validator

from domain.bounds import MAX_LIST, Day, Instant, Name, Note, Phone, Reference, ShortText
from domain.events import Amount, Identifier, Message, currency_code, positive
from domain.money import check_amount
from domain.policy import Policy


class Command(Message):
    command_id: Identifier
    by: Name = Field(description="who gives the command: a collector, a supervisor, a system")


class PromiseToPay(Command):
    """update `promise_to_pay`: the debtor promises an amount by a date."""

    amount: Amount
    currency: str
    promised_date: Day

    _currency = field_validator("currency")(currency_code)
    _positive = field_validator("amount")(positive)

    @model_validator(mode="after")
    def _amount_fits_currency(self) -> "PromiseToPay":
        check_amount(self.amount, self.currency)
        return self


class InstallmentTerm(Message):
    amount: Amount
    due_date: Day

    _positive = field_validator("amount")(positive)


class AgreeInstallmentPlan(Command):
    """update `agree_installment_plan`: the balance paid in installments."""

    currency: str
    installments: list[InstallmentTerm] = Field(min_length=1, max_length=MAX_LIST)

    _currency = field_validator("currency")(currency_code)

    @model_validator(mode="after")
    def _amounts_fit_currency(self) -> "AgreeInstallmentPlan":
        for term in self.installments:
            check_amount(term.amount, self.currency)
        return self


class OpenDispute(Command):
    """update `open_dispute`: the debtor contests invoices (none named: the whole balance)."""

    reason: ShortText
    invoice_ids: list[Identifier] = Field(default_factory=list, max_length=MAX_LIST)


class ResolveDispute(Command):
    """update `resolve_dispute`: upheld (cancel, or reduce by `adjustment`) or rejected (collection resumes)."""

    dispute_id: Identifier
    resolution: Literal["upheld", "rejected"]
    adjustment: Amount | None = Field(default=None, description="upheld: reduce by this much instead of cancelling")
    note: Note | None = None

    @field_validator("adjustment")
    @classmethod
    def _positive_adjustment(cls, value: Decimal | None) -> Decimal | None:
        return None if value is None else positive(value)


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


class UpdateContact(Command):
    """update `update_contact`: new contact details (ends lost contact)."""

    phone: Phone | None = None
    email: EmailStr | None = None


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
    """updates `approve_action` / `reject_action`: an approver decides a pending approval request."""

    step: Identifier
    reason: ShortText


class LegalOutcome(Command):
    """signal `legal_outcome`: how the case handed to legal ended."""

    outcome: Literal["settled", "judgment", "withdrawn", "uncollectable"]
    note: Note = ""


def digest(message: BaseModel) -> str:
    """What a command or a payment says, apart from its id, who sent it and when it happened (the edge defaults
    that to now, so a resend would differ): equal for a repeat, different for a conflicting reuse of the id."""
    ignored = {"command_id", "payment_id", "by", *getattr(message, "HAPPENED", ())}
    content = message.model_dump(mode="json", exclude=ignored)
    return hashlib.sha256(json.dumps([type(message).__name__, content], sort_keys=True).encode()).hexdigest()[:24]


def total(terms: list[InstallmentTerm]) -> Decimal:
    return sum((t.amount for t in terms), Decimal(0))
