"""The clocks of a legal case (policy `[legal_case]`, domain.legal_proceedings): their own module, so that the policy
can hold them without importing the case's messages."""

from pydantic import Field

from domain.contact_rules import Frozen


class CaseTerms(Frozen):
    """The case's clocks (policy `[legal_case]`); the defaults are the PRC Civil Procedure Law's."""

    filing_days: int = Field(default=30, ge=1, le=365, description="the legal team files within")
    court_days: int = Field(default=30, ge=1, le=365, description="follow the court up after")
    objection_days: int = Field(default=15, ge=1, le=90, description="to object to a served payment order")
    appeal_days: int = Field(default=15, ge=1, le=90, description="to appeal a served judgment")
    enforcement_years: int = Field(default=2, ge=1, le=10, description="to apply for enforcement once effective")
    reminders: tuple[int, ...] = Field(default=(90, 30, 7), max_length=10, description="days before that deadline")
    review_days: int = Field(default=90, ge=7, le=365, description="enforcement reviewed every")
