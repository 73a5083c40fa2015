"""The legal team's inbox over HTTP (role `legal`): what `legal.py` does on the command line, with its own code.
Who accepts a case or records its outcome is the caller's key (`api.auth`): its `by`, never a field of the body.

Cases live in the store (the system of record), not in Temporal: the worker's litigation step opens them.
Recording an outcome closes the case and signals the account's workflow (`legal.record_outcome`): idempotent, so
the same outcome again changes nothing (200, also once the account has closed), and a different one is refused
with 409.
"""

import asyncio
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask
from temporalio.service import RPCError

import legal
from activities.legal_case import LegalDesk
from api.auth import LEGAL, FromKey, Identity, require
from api.commands import body_model, to_message
from api.errors import account_closed
from api.state import AppSettings, SystemOfRecord, TemporalClient
from domain.bounds import Note
from domain.case_messages import CaseStep
from domain.commands import LegalOutcome
from domain.legal_proceedings import STAGE_NAMES, next_deadline
from edge.client import new_command_id
from store.models import LegalCase
from store.repository import Conflict, NotFound, Store

CaseState = Literal["open", "accepted", "closed"]
Outcome = LegalOutcome.model_fields["outcome"].annotation

router = APIRouter(prefix="/v1/legal", tags=["legal"])
Lawyer = Annotated[Identity, Depends(require(LEGAL))]


class CaseSummary(BaseModel):
    case_id: str
    account_id: str
    workflow_id: str
    state: str
    opened_at: datetime
    reason: str
    accepted_by: str | None = None
    accepted_at: datetime | None = None
    outcome: str | None = None
    outcome_note: str | None = None
    outcome_by: str | None = None
    outcome_at: datetime | None = None
    package_sha256: str | None = None
    case_workflow_id: str | None = Field(
        default=None, description="the case's own workflow (handed over from rules 10)"
    )
    stage: str | None = Field(default=None, description="where the case stands (from rules 10)")
    next_deadline: datetime | None = None
    next_step: str | None = Field(default=None, description="what the next deadline is for")


class CaseDetail(CaseSummary):
    package: dict[str, Any] = Field(description="the evidence package, as exported in case.json")
    history: list[dict[str, Any]] = Field(default=[], description="the case's steps: at, step, detail, by")


StepBody = body_model(CaseStep)  # what happened in the case, in the name of the key's holder


class Acceptance(BaseModel):
    """Nothing to say: the lawyer is the key's (an empty body, or none)."""

    by: FromKey = None


class OutcomeBody(BaseModel):
    outcome: Outcome  # type: ignore[valid-type]
    note: Note = ""
    by: FromKey = None


@router.get("/cases", response_model=list[CaseSummary], summary="The cases, oldest first")
async def list_cases(
    store: SystemOfRecord, _: Lawyer, state: Annotated[CaseState | None, Query()] = None
) -> list[CaseSummary]:
    cases = await asyncio.to_thread(store.cases, state)
    return [summary(case) for case in cases]


@router.get("/cases/{case_id}", response_model=CaseDetail, summary="One case and its evidence package")
async def get_case(case_id: str, store: SystemOfRecord, _: Lawyer) -> CaseDetail:
    case = await _case(store, case_id)
    return CaseDetail(**summary(case).model_dump(), package=json.loads(case.package or "{}"),
                      history=json.loads(case.history or "[]"))  # fmt: skip


@router.post(
    "/cases/{case_id}/steps",
    response_model=CaseDetail,
    summary="Record what happened in a case that runs as a workflow: it moves the case (409 for an older case)",
)
async def record_step(
    case_id: str,
    body: StepBody,  # type: ignore[valid-type]
    store: SystemOfRecord,
    client: TemporalClient,
    lawyer: Lawyer,
) -> CaseDetail:
    step = to_message(CaseStep, body, {}, {"command_id": new_command_id("api")}, lawyer)
    with store_errors():
        try:
            state = await legal.record_step(store, client, case_id, step)
        except TimeoutError:
            raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, detail="no worker answered in time: repeat it "
                                "with the same command_id") from None  # fmt: skip
    detail = await get_case(case_id, store, lawyer)
    # The store's row follows the workflow a moment later: answer with where the case stands now.
    deadline, next_step = next_deadline(state)
    return detail.model_copy(update={"stage": STAGE_NAMES[state.stage], "next_deadline": deadline,
                                     "next_step": next_step, "history": [e.model_dump(mode="json") for e in
                                                                         state.history]})  # fmt: skip


@router.get(
    "/cases/{case_id}/package.zip",
    response_class=FileResponse,
    summary="The evidence package as a zip a lawyer can open without this system",
)
async def package_zip(case_id: str, store: SystemOfRecord, settings: AppSettings, _: Lawyer) -> FileResponse:
    return await evidence_package(store, settings.legal_dir, case_id)


async def evidence_package(store: Store, legal_dir: Path, case_id: str) -> FileResponse:
    """The case's evidence package as a zip download (`LegalDesk.export`), written to a folder of its own that is
    removed once sent; 404 for an unknown case. This route and the dashboard's download both serve it."""
    case = await _case(store, case_id)
    folder = Path(tempfile.mkdtemp(prefix="legal-export-"))
    try:
        archive = await asyncio.to_thread(LegalDesk(store, legal_dir).export, case, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        archive,
        media_type="application/zip",
        filename=f"{case.case_id}.zip",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


@router.post("/cases/{case_id}/accept", response_model=CaseSummary, summary="Take the case (idempotent)")
async def accept_case(case_id: str, store: SystemOfRecord, lawyer: Lawyer, body: Acceptance | None = None) -> Any:
    with store_errors():
        return summary(await asyncio.to_thread(store.accept_case, case_id, lawyer.by, datetime.now(UTC)))


@router.post(
    "/cases/{case_id}/outcome",
    response_model=CaseSummary,
    summary="Record how the case ended: closes it and the account (idempotent; another outcome is 409)",
)
async def record_outcome(
    case_id: str, body: OutcomeBody, store: SystemOfRecord, client: TemporalClient, lawyer: Lawyer
) -> CaseSummary:
    with store_errors():
        try:
            await legal.record_outcome(store, client, case_id, body.outcome, lawyer.by, body.note)
        except RPCError as error:
            # A closed account (by this outcome told before, or otherwise) has nothing left to be told.
            if not account_closed(error):
                raise HTTPException(
                    status.HTTP_502_BAD_GATEWAY,
                    detail=f"the case is closed but its workflow could not be told ({error.message}): send it again",
                ) from None
        return summary(await _case(store, case_id))


@contextmanager
def store_errors() -> Iterator[None]:
    """The store's refusals as HTTP: NotFound is 404, Conflict (a closed case, another outcome) is 409, and the
    case's refusal of a step 422."""
    try:
        yield
    except NotFound as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(error)) from None
    except Conflict as error:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(error)) from None
    except ValueError as error:  # the case's refusal of a step (or of a judgment as its end)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=str(error)) from None


async def _case(store: Store, case_id: str) -> LegalCase:
    with store_errors():
        return await legal.find_case(store, case_id)


def summary(case: LegalCase) -> CaseSummary:
    return CaseSummary.model_validate(case.model_dump(exclude={"id", "package"}))
