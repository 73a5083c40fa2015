"""A postal address, structured: where letters go (seed 003: a demand letter is posted, and its delivery record
kept). The debtor's arrives with the event or by `update_contact`; the creditor's is in its profile."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from domain.bounds import AddressLine
from domain.locales import babel_locale

MAX_LINES = 4  # street lines, as an envelope window and a courier's form hold them
Postcode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{0,11}$")]
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}  # CLDR's groupings and pseudo-regions
_REGIONS = map(str, babel_locale("en").territories)  # CLDR's: countries, and numeric codes for continents
COUNTRIES = frozenset(code for code in _REGIONS if len(code) == 2 and code.isalpha()) - _NOT_COUNTRIES


class PostalAddress(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    recipient: AddressLine | None = Field(default=None, description="an attention line: a department or a person")
    lines: list[AddressLine] = Field(min_length=1, max_length=MAX_LINES, description="street, building, floor")
    city: AddressLine
    region: AddressLine | None = Field(default=None, description="province or state")
    postcode: Postcode | None = None
    country: str = Field(description="ISO 3166 alpha-2, for example CN")

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        if value not in COUNTRIES:
            raise ValueError(f"unknown country {value[:10]!r} (expected an ISO 3166 alpha-2 code such as CN, US)")
        return value

    def block(self, locale: str) -> list[str]:
        """The lines printed on the envelope and at the head of a letter, in the letter's language: Chinese
        addresses run from the largest place to the smallest on one line, others from the street down."""
        country = babel_locale(locale).territories.get(self.country, self.country)
        if locale.startswith("zh"):
            place = "".join(part for part in (country, self.region, self.city, *self.lines) if part)
            return [place + (f"（{self.postcode}）" if self.postcode else ""), *filter(None, [self.recipient])]
        town = " ".join(part for part in (self.city, self.region, self.postcode) if part)
        return [*filter(None, [self.recipient]), *self.lines, town, country]

    def __str__(self) -> str:
        return ", ".join(self.block("en"))
