"""Jinja2 rendering of messages, letters and tasks: StrictUndefined, HTML autoescaped, letters' Typst source escaped,
money via Babel."""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import jinja2
import jinja2.meta
from babel.dates import format_date
from babel.numbers import format_currency

from activities.typesetting import Typesetter, TypesettingError
from domain.actions import ActionRequest
from domain.creditor import Creditor, CreditorBook
from domain.law_firms import LawFirm
from domain.locales import babel_locale

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
STAFF_LOCALE = "en"
LETTER_SUFFIX = ".typ.j2"


class TemplateError(Exception):
    """A template is missing or uses a value the context lacks: retrying cannot help."""


@dataclass(frozen=True)
class Signatory:
    """What a message prints of its creditor's profile (domain.creditor), in the message's language."""

    id: str
    name: str
    phone: str
    email: str
    registration_number: str
    address: list[str]  # the registered address, as printed
    payment_instructions: str  # the bank account of each currency owed
    letterhead: str | None
    signature: str | None
    seal: str | None

    @classmethod
    def of(cls, creditor: Creditor, locale: str, currencies: list[str]) -> "Signatory":
        pay = " ".join(account.instructions(locale) for account in creditor.accounts_for(currencies))
        images = (creditor.letterhead, creditor.signature, creditor.seal)
        return cls(creditor.id, creditor.name_in(locale), creditor.phone, creditor.email,
                   creditor.registration_number, creditor.address.block(locale), pay, *images)  # fmt: skip


@dataclass(frozen=True)
class Counsel:
    """What a lawyer's letter prints of the creditor's law firm (domain.law_firms) and of the firm's answer: the
    lawyer who signed and the date the letter bears. The draft sent to the firm has neither (`draft`)."""

    name: str
    address: list[str]
    phone: str
    email: str
    lawyer: str | None
    licence: str | None
    issued_on: date | None
    reference: str | None

    @property
    def draft(self) -> bool:
        return self.lawyer is None

    @classmethod
    def of(cls, firm: LawFirm, locale: str, details: dict[str, str]) -> "Counsel":
        issued = details.get("issued_on")
        return cls(firm.name_in(locale), firm.address.block(locale), firm.phone, str(firm.email), details.get("lawyer"),
                   details.get("licence"), date.fromisoformat(issued) if issued else None,
                   details.get("firm_reference") or None)  # fmt: skip


@jinja2.pass_context
def _money(context: jinja2.runtime.Context, amount: Decimal, currency: str) -> str:
    return format_currency(Decimal(str(amount)), currency, locale=context["_babel_locale"])


@jinja2.pass_context
def _longdate(context: jinja2.runtime.Context, value: date) -> str:
    return format_date(value, format="long", locale=context["_babel_locale"])


class Typst(str):
    """Typst markup a template means as such (an image): printed as it is, where any other value is escaped."""


# Characters with a meaning in Typst markup: a value's are escaped with a backslash, so that a debtor's name or
# address prints as text and can never be read as markup or code (`#`), whatever it holds.
TYPST_SPECIAL = re.compile(r"""([\\#$*_`<>@\[\]~/\-+='".:()|!{}^&%;,?])""")


def typst_text(value: object) -> str:
    """A value as Typst markup that prints it as it is: special characters escaped, a line break kept as one."""
    if isinstance(value, Typst):
        return value
    text = TYPST_SPECIAL.sub(r"\\\1", "" if value is None else str(value))
    return text.replace("\r\n", "\n").replace("\n", " \\\n")


def _environment(folder: Path, **options: object) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder), undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        **options,  # type: ignore[arg-type]
    )  # fmt: skip
    env.filters["money"] = _money
    env.filters["longdate"] = _longdate
    env.filters["isodate"] = date.fromisoformat  # a date carried as text in a request's details
    return env


class Renderer:
    def __init__(
        self, folder: Path = TEMPLATE_DIR, creditors: CreditorBook | None = None, typesetter: Typesetter | None = None
    ) -> None:
        self.creditors = creditors  # None: a template that prints the creditor fails, saying none is configured
        self.env = _environment(folder, autoescape=jinja2.select_autoescape(["html", "html.j2"]))
        # Letters: Typst source, every printed value escaped (`typst_text`); images through the typesetter's folder.
        self.typst = _environment(folder, finalize=typst_text)
        self.typst.filters["image"] = self._image
        self._typesetter = typesetter
        self._versions: dict[str, tuple[str, list[Callable[[], bool]]]] = {}

    @property
    def typesetter(self) -> Typesetter:
        if self._typesetter is None:
            self._typesetter = Typesetter.shared()
        return self._typesetter

    def _image(self, data_uri: str, **size: str) -> Typst:
        """`{{ creditor.seal|image(width="30mm") }}`: the image as Typst markup, its sizes given as Typst lengths."""
        if not all(re.fullmatch(r"\d+(\.\d+)?(mm|cm|pt|%)", length) for length in size.values()):
            raise jinja2.TemplateError(f"image sizes are lengths such as 18mm, not {size}")
        arguments = "".join(f", {name}: {length}" for name, length in size.items())
        try:
            path = self.typesetter.image(data_uri)
        except (TypesettingError, ValueError) as error:  # not an image we typeset: the template's (or profile's) fault
            raise jinja2.TemplateError(str(error)) from None
        return Typst(f'#image("{path}"{arguments})')

    def version(self, name: str) -> str:
        """A template's version for the contact log: the hash of its source, so a court sees which text was used.
        Cached until one of its files changes on disk (parsing it for its partials costs more than rendering)."""
        cached = self._versions.get(name)
        if cached and all(uptodate() for uptodate in cached[1]):
            return cached[0]
        digest, seen, pending, checks = hashlib.sha256(), set(), [name], []
        while pending:  # the template and every partial it includes or imports
            current = pending.pop()
            source, _, uptodate = self.env.loader.get_source(self.env, current)  # type: ignore[union-attr]
            digest.update(source.encode())
            seen.add(current)
            checks.append(uptodate or (lambda: False))
            found = jinja2.meta.find_referenced_templates(self.env.parse(source))
            pending += sorted(n for n in found if n and n not in seen)
        self._versions[name] = (digest.hexdigest()[:12], checks)
        return self._versions[name][0]

    def render(self, channel: str, request: ActionRequest, suffix: str, staff: bool = False) -> str:
        """Render templates/<channel>/<locale>/<template><suffix> (staff templates are in English)."""
        return self._render(channel, request, suffix, staff, block=None)

    def pdf(self, source: str, dated: datetime) -> bytes:
        """A letter's Typst source typeset (`activities.typesetting`); a source that does not compile is a template's
        mistake, a TemplateError."""
        try:
            return self.typesetter.pdf(source, dated)
        except TypesettingError as error:
            raise TemplateError(f"the letter does not typeset: {error}") from None

    def letter(self, request: ActionRequest) -> tuple[str, str]:
        """A letter's Typst source (templates/letters/<locale>/<template>.typ.j2) and its title (the template's
        `title`)."""
        name = f"letters/{request.debtor.locale}/{request.template}{LETTER_SUFFIX}"
        try:
            module = self.typst.get_template(name).make_module(self._context(request, request.debtor.locale))
            return str(module), str(getattr(module, "title", request.template))
        except (jinja2.TemplateError, KeyError) as error:
            raise TemplateError(f"{name}: {type(error).__name__}: {error}") from error

    def render_block(self, channel: str, request: ActionRequest, block: str) -> str:
        """One block (subject, text, html) of a multi-part template such as an email."""
        return self._render(channel, request, ".j2", staff=False, block=block).strip()

    def _render(self, channel: str, request: ActionRequest, suffix: str, staff: bool, block: str | None) -> str:
        locale = STAFF_LOCALE if staff else request.debtor.locale
        name = f"{channel}/{locale}/{request.template}{suffix}"
        try:
            template = self.env.get_template(name)
            variables = self._context(request, locale)
            if block is None:
                return template.render(variables)
            return "".join(template.blocks[block](template.new_context(variables)))
        except (jinja2.TemplateError, KeyError) as error:
            raise TemplateError(f"{name}: {type(error).__name__}: {error}") from error

    def creditor_of(self, request: ActionRequest) -> Creditor:
        """The profile the account collects for. Raises ValueError when there is none."""
        if self.creditors is None:
            raise ValueError("no creditor profiles are configured (COLLECTIONS_CREDITOR_DIR)")
        return self.creditors.resolve(request.creditor, f"account {request.account_id}")

    def law_firm_of(self, request: ActionRequest) -> LawFirm:
        """The firm that issues the account's lawyer's letters. Raises ValueError when there is none."""
        creditor = self.creditor_of(request)
        firm = self.creditors.law_firm(creditor) if self.creditors else None
        if firm is None:
            raise ValueError(f"creditor {creditor.id} names no law firm (`law_firm` in its profile, docs/creditors.md):"
                             " a lawyer's letter is issued by a lawyer, never in the creditor's name")  # fmt: skip
        return firm

    def _signatory(self, request: ActionRequest, locale: str) -> Signatory | jinja2.Undefined:
        """The creditor's profile as the message prints it; where there is none, a value that fails the template
        with the reason (a task for staff may not print the creditor at all)."""
        try:
            creditor = self.creditor_of(request)
        except ValueError as error:
            return jinja2.StrictUndefined(hint=str(error))
        return Signatory.of(creditor, locale, [balance.currency for balance in request.balances])

    def _counsel(self, request: ActionRequest, locale: str) -> Counsel | jinja2.Undefined:
        try:
            return Counsel.of(self.law_firm_of(request), locale, request.details)
        except ValueError as error:
            return jinja2.StrictUndefined(hint=str(error))

    def _context(self, request: ActionRequest, locale: str) -> dict[str, object]:
        return {
            "_babel_locale": babel_locale(locale),
            "debtor": request.debtor,
            "account_id": request.account_id,
            "invoices": request.invoices,
            "balances": request.balances,
            "days_past_due": request.days_past_due,
            "oldest_due_date": request.oldest_due_date,
            "today": request.today,
            "deadline": request.deadline,
            "interest_terms": request.interest_terms,
            "creditor": self._signatory(request, locale),
            "firm": self._counsel(request, locale),
            "reference": request.idempotency_key,
            "details": request.details,
            "installment_plan": request.installment_plan,
        }
