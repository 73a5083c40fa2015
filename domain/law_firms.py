"""The law firms a creditor instructs (seeds 000 and 001: a lawyer's letter 律师函 is issued by a lawyer; seed 002:
never impersonate one 「不得冒充」). One TOML file per firm in `law-firms/` beside the creditor profiles; a profile
names its firm (`law_firm = "<id>"`). The system drafts the letter for the firm and sends it out under the firm's
name only once the firm confirms it issued it, naming the lawyer who signed (domain.lawyer_letters)."""

import tomllib
from pathlib import Path

from pydantic import EmailStr, Field, ValidationError

from domain.address import PostalAddress
from domain.bounds import Name, Reference
from domain.events import Identifier
from domain.profile_files import Profile, reasons

FOLDER = "law-firms"  # beside the creditor profiles


class Lawyer(Profile):
    name: Name
    licence: Reference = Field(min_length=1, description="the practising licence number 执业证号")


class LawFirm(Profile):
    id: Identifier
    name: Name = Field(description="the firm's name, as registered")
    names: dict[str, Name] = Field(default={}, description="the name in other letter languages, by locale")
    address: PostalAddress
    phone: Reference
    email: EmailStr
    lawyers: list[Lawyer] = Field(min_length=1, max_length=50)

    def name_in(self, locale: str) -> str:
        return self.names.get(locale, self.name)

    def lawyer(self, licence: str) -> Lawyer | None:
        return next((lawyer for lawyer in self.lawyers if lawyer.licence == licence), None)


def load_law_firms(folder: Path) -> dict[str, LawFirm]:
    """Every firm in `folder/law-firms/` (none: no folder), by id; its id defaults to the file's name."""
    firms: dict[str, LawFirm] = {}
    for path in sorted((folder / FOLDER).glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
            raw.setdefault("id", path.stem)
            firm = LawFirm.model_validate(raw)
        except (OSError, tomllib.TOMLDecodeError, ValueError) as error:
            reason = reasons(error) if isinstance(error, ValidationError) else str(error)
            raise ValueError(f"law firm {path}: {reason}") from None
        if firm.id in firms:
            raise ValueError(f"law firm {firm.id!r} has two files in {folder / FOLDER}")
        firms[firm.id] = firm
    return firms
