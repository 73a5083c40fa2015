"""Commands and facts that re-route an account: the payloads of its updates and signals.

Each carries its own `command_id`: sending the same command twice applies it once."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, EmailStr, Field, field_validator

from domain.events import Amount, Identifier, Message, Phone, Text, currency_code, positive
from domain.policy import Policy


class Command(Message):
    command_id: Identifier
    by: Text = Field(description="who gives the command: a collector, a supervisor, a system")


class PromiseToPay(Command):
    """update `promise_to_pay`: the debtor promises an amount by a date."""

    amount: Amount
    currency: str
    promised_date: date

    _currency = field_validator("currency")(currency_code)
    _positive = field_validator("amount")(positive)


class InstallmentTerm(Message):
    amount: Amount
    due_date: date

    _positive = field_validator("amount")(positive)


class AgreeInstallmentPlan(Command):
    """update `agree_installment_plan`: the balance paid in installments."""

    currency: str
    installments: list[InstallmentTerm]

    _currency = field_validator("currency")(currency_code)


class OpenDispute(Command):
    """update `open_dispute`: the debtor contests invoices (none named: the whole balance)."""

    reason: Text
    invoice_ids: list[Identifier] = Field(default_factory=list)


class ResolveDispute(Command):
    """update `resolve_dispute`: upheld (cancel, or reduce by `adjustment`) or rejected (collection resumes)."""

    dispute_id: Identifier
    resolution: Literal["upheld", "rejected"]
    adjustment: Amount | None = Field(default=None, description="upheld: reduce by this much instead of cancelling")
    note: Text | None = None


class ReportBankruptcy(Command):
    """signal `report_bankruptcy`."""

    case_reference: str = ""
    note: str = ""


ContactResult = Literal["reached", "no_answer", "wrong_number", "refused"]


class ContactOutcome(Command):
    """signal `contact_outcome`: what happened when we tried to reach the debtor."""

    channel: Literal["phone", "email"]
    result: ContactResult
    at: AwareDatetime


class UpdateContact(Command):
    """update `update_contact`: new contact details (ends lost contact)."""

    phone: Phone | None = None
    email: EmailStr | None = None


class Pause(Command):
    """update `pause`: a supervisor stops all contact until a time."""

    reason: Text
    until: AwareDatetime


class Resume(Command):
    """update `resume`: end a pause now."""

    reason: Text | None = None


class CeaseCommunication(Command):
    """update `cease_communication`: the debtor asks us to stop contacting them (letters and calls included)."""

    reason: Text


class OverrideLimitation(Command):
    """update `override_limitation`: a supervisor allows legal action on a time-barred debt, with a reason."""

    reason: Text


class WriteOff(Command):
    """update `write_off`: close the account as written off."""

    reason: Text


class MigratePolicy(Command):
    """update `migrate_policy`: move the account to another policy or policy version. `keep_day` keeps the
    ladder's day (steps the new policy adds before it are skipped); `restart_at_stage` puts the ladder at the
    first day of `stage` (its steps from there run again, under new idempotency keys)."""

    policy: Policy
    mapping: Literal["keep_day", "restart_at_stage"] = "keep_day"
    stage: str | None = None
    reason: Text


class ApprovalDecision(Command):
    """updates `approve_action` / `reject_action`: an approver decides a pending approval request."""

    step: str
    reason: Text


class LegalOutcome(Command):
    """signal `legal_outcome`: how the case handed to legal ended."""

    outcome: Literal["settled", "judgment", "withdrawn", "uncollectable"]
    note: str = ""


def total(terms: list[InstallmentTerm]) -> Decimal:
    return sum((t.amount for t in terms), Decimal(0))
