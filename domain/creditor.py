"""Who collects: the creditor's profile, one per legal entity (a group often collects for several companies), in
configuration (`COLLECTIONS_CREDITOR_DIR`: one TOML file per entity). Every letter, email and SMS is signed with
the profile of the entity its account collects for: its legal name, registration number, registered address, the
bank account for the debt's currency, the contact for debtors, and the letterhead, signature and seal images (seed
000: a demand letter carries the company's identity, the amounts, the account to pay and how to reach us).

No profile ships with the project but the example in `examples/creditors/`: nothing goes out in the name of a
company that did not configure itself."""

import base64
import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints, ValidationError, field_validator

from domain.address import PostalAddress
from domain.bounds import AddressLine, Name, Reference
from domain.events import SUPPORTED_LOCALES, Identifier, currency_code
from domain.law_firms import LawFirm, load_law_firms
from domain.profile_files import Profile, Registered, reasons

MAX_IMAGE_BYTES = 256 * 1024  # a letterhead or seal scan: printed on every letter, and kept with each as evidence
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}
AccountNumber = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z][0-9A-Z -]{3,39}$")]
PAYMENT_TEXT = {  # how to pay, per letter language: the bank account of each currency owed
    "en": "Bank transfer to {holder}, {bank}, account {number}{swift}, quoting your invoice numbers.",
    "zh-CN": "请汇款至：户名 {holder}，开户行 {bank}，账号 {number}{swift}，并在附言中注明发票号。",
}


class BankAccount(Profile):
    currency: str
    bank: AddressLine
    holder: Name = Field(description="the account's holder, as the bank knows it")
    number: AccountNumber
    swift: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$")] | None = None

    _currency = field_validator("currency")(currency_code)

    def instructions(self, locale: str) -> str:
        swift = f" (SWIFT {self.swift})" if self.swift else ""
        return PAYMENT_TEXT[locale].format(holder=self.holder, bank=self.bank, number=self.number, swift=swift)


class DebtorContact(Profile):
    """Where debtors reach the creditor's receivables team."""

    phone: Reference = Field(description="as printed, for example +86 21 5555 0100")
    email: EmailStr


class Creditor(Registered):
    registration_number: Reference = Field(min_length=1, description="for example the unified social credit code")
    address: PostalAddress = Field(description="the registered address")
    contact: DebtorContact
    bank_accounts: list[BankAccount] = Field(min_length=1, max_length=20)
    default: bool = Field(default=False, description="the entity of accounts that name none")
    letterhead: str | None = Field(default=None, description="an image beside the profile (a data URI once loaded)")
    signature: str | None = None
    seal: str | None = Field(default=None, description="the company seal 公章, printed over the signature")
    law_firm: Identifier | None = Field(default=None, description="the firm that issues its lawyer's letters")

    @field_validator("names")
    @classmethod
    def _known_locales(cls, names: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(names) - set(SUPPORTED_LOCALES))
        if unknown:
            raise ValueError(f"names in unsupported locale(s) {', '.join(unknown)} (supported: {SUPPORTED_LOCALES})")
        return names

    # What the templates print.
    @property
    def phone(self) -> str:
        return self.contact.phone

    @property
    def email(self) -> str:
        return str(self.contact.email)

    def accounts_for(self, currencies: list[str]) -> list[BankAccount]:
        """The bank accounts to pay the currencies owed into; all of them where none matches."""
        matching = [account for account in self.bank_accounts if account.currency in currencies]
        return matching or list(self.bank_accounts)


def _image(path: Path) -> str:
    """An image file as a data URI, so that the rendered letter (kept as evidence) holds it whole."""
    kind = IMAGE_TYPES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path.name}: an image must be {', '.join(IMAGE_TYPES)}")
    data = path.read_bytes()
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"{path.name} is {len(data):,} bytes: at most {MAX_IMAGE_BYTES:,}")
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def load_creditor(path: Path) -> Creditor:
    """One profile; its id defaults to the file's name, its images are read from beside it."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        raw.setdefault("id", path.stem)
        for field in ("letterhead", "signature", "seal"):
            if raw.get(field):
                raw[field] = _image(path.parent / str(raw[field]))
        return Creditor.model_validate(raw)
    except (OSError, tomllib.TOMLDecodeError, ValueError) as error:  # ValidationError is a ValueError
        reason = str(error) if not isinstance(error, ValidationError) else reasons(error)
        raise ValueError(f"creditor profile {path}: {reason}") from None


class CreditorBook:
    """Every creditor profile in a folder; `resolve` gives the one an account collects for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        if not folder.is_dir():
            raise ValueError(f"no creditor profile folder {folder}")
        self.by_id: dict[str, Creditor] = {}
        for path in sorted(folder.glob("*.toml")):
            creditor = load_creditor(path)
            if creditor.id in self.by_id:
                raise ValueError(f"creditor {creditor.id!r} has two profiles in {folder}")
            self.by_id[creditor.id] = creditor
        if not self.by_id:
            raise ValueError(f"no creditor profiles (*.toml) in {folder}")
        self.law_firms = load_law_firms(folder)
        for creditor in self.by_id.values():
            if creditor.law_firm and creditor.law_firm not in self.law_firms:
                raise ValueError(
                    f"creditor {creditor.id!r} names law firm {creditor.law_firm!r}, which has no file "
                    f"in {folder / 'law-firms'} (known: {', '.join(sorted(self.law_firms)) or 'none'})"
                )
        defaults = [c.id for c in self.by_id.values() if c.default]
        if len(defaults) > 1:
            raise ValueError(f"more than one default creditor in {folder}: {', '.join(defaults)}")
        only = next(iter(self.by_id)) if len(self.by_id) == 1 else None
        self.default = defaults[0] if defaults else only

    def resolve(self, creditor: str | None, where: str = "the account") -> Creditor:
        name = creditor or self.default
        if name is None:
            raise ValueError(f"{where} names no creditor, and {self.folder} holds several profiles but no default: "
                             f"name one (known: {', '.join(sorted(self.by_id))})")  # fmt: skip
        if name not in self.by_id:
            raise ValueError(f"{where} names creditor {name!r}, which has no profile in {self.folder} "
                             f"(known: {', '.join(sorted(self.by_id))})")  # fmt: skip
        return self.by_id[name]

    def law_firm(self, creditor: Creditor) -> LawFirm | None:
        return self.law_firms.get(creditor.law_firm) if creditor.law_firm else None
