"""The event contract: what billing systems and operators send us, validated field by field."""

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, ClassVar, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from domain.address import PostalAddress
from domain.bounds import EDGE, AmountDigits, Day, Instant, Name, Phone, Reference, ShortText, oldest_due
from domain.money import KNOWN_CURRENCIES, InterestTerms, check_amount

# Locales we hold templates for; a debtor's locale picks the language of every message.
SUPPORTED_LOCALES = ("en", "zh-CN")

# Ids end up in workflow ids and idempotency keys: keep them printable and bounded.
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]

_AMOUNT_RE = re.compile(r"^-?\d{1,18}(\.\d{1,6})?$")


def _amount_string(value: object) -> object:
    """Amounts must be strings: a JSON number may already have lost precision in the sender's float."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError('amount must be a string such as "12000.00", not a JSON number')
    if not _AMOUNT_RE.match(value.strip()):
        raise ValueError(f"malformed amount {value[:40]!r}: expected digits with an optional decimal point")
    return value.strip()


Amount = Annotated[Decimal, BeforeValidator(_amount_string), AmountDigits]
T = TypeVar("T")


def currency_code(value: str) -> str:
    if value not in KNOWN_CURRENCIES:
        raise ValueError(f"unknown currency {value[:10]!r} (expected an ISO 4217 code such as CNY, USD, EUR)")
    return value


def positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise ValueError(f"amount must be positive, got {value}")
    return value


def optional(check: Callable[[T], T]) -> Callable[[T | None], T | None]:
    """A field check that lets an optional field's None through."""

    def checked(value: T | None) -> T | None:
        return None if value is None else check(value)

    return checked


class Message(BaseModel):
    """Base of every message: immutable, unknown fields ignored so senders can grow the contract."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True)


_TZ_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}$")  # IANA names: at most 3 parts, no ".."
Text = ShortText


class Debtor(Message):
    name: Name
    phone: Phone | None = Field(default=None, description="E.164, for example +8613800000000")
    email: EmailStr | None = None
    timezone: str = Field(description="IANA timezone, for example Asia/Shanghai")
    locale: str = Field(description="one of " + ", ".join(SUPPORTED_LOCALES))
    segment: Identifier = "standard"
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="ISO 3166 code for public holidays; default: the phone's country, else the timezone's"
    )
    address: PostalAddress | None = Field(default=None, description="where letters go; without it they are skipped")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:  # a folder of the tz database ("Asia") or an over-long name fails as a file error, not "not found"
            if not _TZ_NAME.match(value):
                raise ValueError
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown timezone {value[:60]!r} (expected an IANA name such as Asia/Shanghai)") from None
        return value

    @field_validator("locale")
    @classmethod
    def _supported_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"unsupported locale {value[:20]!r} (supported: {', '.join(SUPPORTED_LOCALES)})")
        return value


class Invoice(Message):
    invoice_id: Identifier
    amount: Amount
    currency: str
    due_date: Day
    contract_ref: Reference | None = None
    interest: InterestTerms | None = Field(default=None, description="the contract's late-interest rate, if any")
    creditor: Identifier | None = Field(default=None, description="the creditor profile (entity) it is owed to")

    _currency = field_validator("currency")(currency_code)
    _positive = field_validator("amount")(positive)

    @model_validator(mode="after")
    def _amount_fits_currency(self) -> "Invoice":
        check_amount(self.amount, self.currency)
        return self


InvoiceEventType = Literal["invoice.overdue", "invoice.issued", "invoice.due_soon"]
MAX_DAYS_AHEAD = 400  # how far after its event an issued or due-soon invoice may fall due (a year's terms, and more)


class InvoiceEvent(Message):
    """`invoice.overdue` (past due), `invoice.issued` (billed) or `invoice.due_soon` (a reminder before the due date):
    the billing system tells us of an invoice. Starts or joins the account; an invoice already on it changes nothing."""

    HAPPENED: ClassVar = ("occurred_at",)
    DIGEST_AS: ClassVar = "InvoiceOverdue"  # its name when the digests running accounts hold were taken

    event_id: Identifier
    type: InvoiceEventType
    occurred_at: Instant
    account_id: Identifier
    debtor: Debtor
    invoice: Invoice

    @model_validator(mode="after")
    def _due_date_fits_the_event(self) -> "InvoiceEvent":
        try:
            local_day = self.occurred_at.astimezone(ZoneInfo(self.debtor.timezone)).date()
        except OverflowError:  # 9999-12-31T23:59-14:00 is past the last representable instant
            raise ValueError(f"occurred_at {self.occurred_at.isoformat()} is out of range") from None
        due = self.invoice.due_date
        if self.type == "invoice.overdue" and due > local_day:
            raise ValueError(
                f"invoice.due_date {due} is after occurred_at ({local_day} in {self.debtor.timezone}): the invoice is "
                "not overdue yet (send invoice.issued or invoice.due_soon before the due date)"
            )
        if (due - local_day).days > MAX_DAYS_AHEAD:
            raise ValueError(
                f"invoice.due_date {due} is more than {MAX_DAYS_AHEAD} days after occurred_at ({local_day} in "
                f"{self.debtor.timezone}): too far ahead to follow"
            )
        if due < oldest_due(local_day):
            raise ValueError(
                f"invoice.due_date {due} is more than 20 years before occurred_at ({local_day}): "
                "past any limitation period"
            )
        return self


InvoiceOverdue = InvoiceEvent  # its name before invoice.issued and invoice.due_soon


class BillingEvent(Message):
    """`invoice.paid` or `invoice.cancelled`: the billing system settled or cancelled an invoice of an open account.
    Never starts an account. Without an amount: all the invoice owes (paid) or all its principal (cancelled)."""

    HAPPENED: ClassVar = ("occurred_at",)

    event_id: Identifier
    type: Literal["invoice.paid", "invoice.cancelled"]
    occurred_at: Instant
    account_id: Identifier
    invoice_id: Identifier
    amount: Amount | None = None
    currency: str | None = Field(default=None, description="the invoice's; required with an amount")
    reference: Reference | None = Field(default=None, description="the billing system's payment or credit note")
    reason: Text | None = None

    _currency = field_validator("currency")(optional(currency_code))
    _positive = field_validator("amount")(optional(positive))

    @model_validator(mode="after")
    def _amount_fits_currency(self) -> "BillingEvent":
        if self.amount is not None:
            if self.currency is None:
                raise ValueError("an amount needs its currency")
            check_amount(self.amount, self.currency)
        return self


class PaymentReceived(Message):
    """`payment_received`: money arrived. Idempotent by payment id."""

    HAPPENED: ClassVar = ("received_at",)

    payment_id: Identifier
    amount: Amount
    currency: str
    received_at: Instant

    _currency = field_validator("currency")(currency_code)
    _positive = field_validator("amount")(positive)

    @model_validator(mode="after")
    def _amount_fits_currency(self) -> "PaymentReceived":
        check_amount(self.amount, self.currency)
        return self


class EventRejected(ValueError):
    """An input line that cannot be accepted; the message says which field and why."""


def describe(error: ValidationError, tagged: bool = False) -> str:
    """One line naming every bad field: `invoice.amount: amount must be positive, got -5`. `tagged`: the error of a
    union told apart by `type`, whose locations start with the type (left out)."""
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(p) for p in item["loc"][1 if tagged and item["loc"] else 0 :])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "json_invalid":
            where, message = "", f"malformed JSON ({item['ctx']['error']})"
        elif item["type"] == "missing":
            message = "required field is missing"
        elif item["type"] == "union_tag_not_found":
            where, message = "type", "required field is missing"
        elif item["type"] == "union_tag_invalid":
            tag = printable_start(item["ctx"]["tag"])
            where, message = "type", f"unknown event type {tag} (expected {item['ctx']['expected_tags']})"
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def printable_start(value: str, limit: int = 40) -> str:
    return repr(value[:limit] + ("…" if len(value) > limit else ""))


Event = InvoiceEvent | BillingEvent
_EVENTS: TypeAdapter[Event] = TypeAdapter(Annotated[Event, Field(discriminator="type")])


def parse_event(line: str) -> Event:
    """Parse one JSON line into the event its `type` names, or raise EventRejected with every field-level reason."""
    try:
        return _EVENTS.validate_json(line, context=EDGE)
    except ValidationError as error:
        raise EventRejected(describe(error, tagged=True)) from None
