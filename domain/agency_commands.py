"""The commands of a placement with a collection agency (domain.agencies): a lead places an account (approved by
the matrix's `agency_placement` subject) and recalls it; the agency reports its contacts and the promises it
obtains (its payments arrive as payments); a complaint against the agency is recorded."""

from typing import Literal

from pydantic import Field, model_validator

from domain.bounds import Note
from domain.commands import Command, PromiseTerms
from domain.events import Identifier


class PlaceWithAgency(Command):
    """update `place_with_agency`: place the account with an agency of the policy's registry."""

    agency_id: Identifier
    reason: Note = Field(min_length=1)


class RecallFromAgency(Command):
    """update `recall_from_agency`: take the account back from its agency; the ladder resumes where it stopped."""

    reason: Note = Field(min_length=1)


class AgencyReport(Command):
    """update `agency_report`: the agency the account is placed with reports a contact made or a promise obtained
    (`agency_id` is the reporter's agency, from its key)."""

    agency_id: Identifier
    kind: Literal["contact", "promise"]
    note: Note = ""
    promise: PromiseTerms | None = None

    @model_validator(mode="after")
    def _a_promise_has_terms(self) -> "AgencyReport":
        if (self.kind == "promise") != (self.promise is not None):
            raise ValueError("a promise report carries the promise (amount, currency, promised_date), and only it")
        return self


class AgencyComplaint(Command):
    """update `agency_complaint`: a complaint against the agency the account is placed with (the debtor's, or ours)."""

    text: Note = Field(min_length=1)
