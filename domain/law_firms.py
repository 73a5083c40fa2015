"""The law firms a creditor instructs (seeds 000 and 001: a lawyer's letter 律师函 is issued by a lawyer; seed 002:
never impersonate one 「不得冒充」). One TOML file per firm in `law-firms/` beside the creditor profiles; a profile
names its firm (`law_firm = "<id>"`). The system drafts the letter for the firm and sends it out under the firm's
name only once the firm confirms it issued it, naming the lawyer who signed (domain.lawyer_letters)."""

from pathlib import Path

from pydantic import EmailStr, Field

from domain.address import PostalAddress
from domain.bounds import Name, Reference
from domain.profile_files import Profile, Registered, load_profiles

FOLDER = "law-firms"  # beside the creditor profiles


class Lawyer(Profile):
    name: Name
    licence: Reference = Field(min_length=1, description="the practising licence number 执业证号")


class LawFirm(Registered):
    address: PostalAddress
    phone: Reference
    email: EmailStr
    lawyers: list[Lawyer] = Field(min_length=1, max_length=50)

    def lawyer(self, licence: str) -> Lawyer | None:
        return next((lawyer for lawyer in self.lawyers if lawyer.licence == licence), None)


def load_law_firms(folder: Path) -> dict[str, LawFirm]:
    """Every firm in `folder/law-firms/` (none: no folder), by id; its id defaults to the file's name."""
    return load_profiles(folder / FOLDER, LawFirm, "law firm")
