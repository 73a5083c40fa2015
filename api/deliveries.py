"""`POST /v1/deliveries`: the courier's webhook. A courier knows a letter by its tracking number and by the reference
printed on it (`Ref: collection-ACC-1001/evt-0001/d031-send_demand_letter`, the letter's idempotency key), not by our
account ids: the reference names the account and the letter. Each report is the `letter_delivery` signal, its id
derived from the event and the tracking number, so the courier's retries apply once (docs/creditors.md, "Delivery").
Role `ops`: a machine key given to the courier."""

import re
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.auth import OPS, Identity, require
from api.commands import SignalSent, dispatch, to_message
from api.state import TemporalClient
from domain.commands import LetterDelivery
from edge.operations import OPERATIONS

router = APIRouter(prefix="/v1", tags=["deliveries"])
DELIVERY = OPERATIONS["letter-delivery"]
ID = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}"  # domain.events.Identifier: account ids, event ids, step keys
REFERENCE = re.compile(rf"^collection-(?P<account>{ID})/{ID}/(?P<step>{ID})$")


class CourierReport(BaseModel):
    model_config = ConfigDict(extra="ignore")  # couriers send more than we read

    reference: str = Field(max_length=400, description="the reference printed on the letter")
    tracking_number: str = Field(max_length=40)
    event: Literal["posted", "delivered", "returned"]
    at: AwareDatetime | None = Field(default=None, description="when it happened (default: now)")
    proof_ref: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=500)


@router.post(
    "/deliveries",
    response_model=SignalSent,
    status_code=HTTPStatus.ACCEPTED,
    summary="a courier's report on a letter, by the reference printed on it (signal letter_delivery)",
)
async def post_delivery(
    report: CourierReport,
    response: Response,
    client: TemporalClient,
    identity: Annotated[Identity, Depends(require(OPS))],
) -> SignalSent:
    found = REFERENCE.match(report.reference)
    if found is None:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=f"reference {report.reference[:100]!r} is not a "
                            "letter's (collection-<account>/<event>/<step>)")  # fmt: skip
    account_id = found["account"]
    defaults = {"command_id": f"courier-{report.event}-{report.tracking_number}"[:128], "at": datetime.now(UTC)}
    command = to_message(LetterDelivery, report, {"step": found["step"]}, defaults, identity)  # `reference` ignored
    await dispatch(client, account_id, DELIVERY, command, response)
    return SignalSent(account_id=account_id, message=DELIVERY.message, command_id=command.command_id)
