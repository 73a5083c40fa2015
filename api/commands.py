"""`POST /v1/accounts/{account_id}/...`: payments and every operator command, one route per update and signal.

The routes are generated from one table, `ENDPOINTS`, over `starter.OPERATIONS`: the same workflow messages and the
same domain command models as the command line, so a new command is one line here.

Bodies are the domain command models (`domain.commands`), with three conveniences:
- `command_id` is optional: absent, a fresh `api-<hex>` is used. It is returned in the `X-Command-Id` header (and in
  the body of signals). Sending a command again with the same id applies it once.
- `by` (who gives the command) is optional: absent, it is the caller's role (`supervisor`). It is what the
  account's history records; it is asserted by the caller, not authenticated (the key only proves the role).
- Ids that are in the path (`dispute_id`, `step`) are not in the body; `at` of a contact outcome and `received_at`
  of a payment default to now.

Updates answer 200 with the account's status. Signals (payments, bankruptcy, contact outcomes, legal outcomes) are
facts recorded when the workflow next runs: 202 with what was sent. Errors: see `api.errors`.
"""

import asyncio
import inspect
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, Field, ValidationError, create_model
from pydantic.json_schema import SkipJsonSchema
from temporalio.client import Client

import starter
from api.auth import OPS, SUPERVISOR, Caller, require
from api.errors import temporal_errors
from api.state import TemporalClient, get_client
from domain.bounds import check_happened
from domain.commands import Command
from domain.events import Identifier, PaymentReceived, Text
from domain.status import AccountStatus
from workflows import PAYMENT_RECEIVED, workflow_id

COMMAND_ID_HEADER = "X-Command-Id"
M = TypeVar("M", bound=BaseModel)
ACCOUNT_PATH = "/v1/accounts/{account_id}"

router = APIRouter(prefix=ACCOUNT_PATH, tags=["account commands"])


@dataclass(frozen=True)
class Endpoint:
    """A route under /v1/accounts/{account_id}/ for the operator command `operation` of `starter.OPERATIONS`.
    `path_fields` are model fields taken from the path; `now_fields` are datetimes that default to now."""

    path: str
    operation: str
    path_fields: tuple[str, ...] = ()
    now_fields: tuple[str, ...] = ()


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("promises", "promise"),
    Endpoint("installment-plans", "plan"),
    Endpoint("disputes", "dispute"),
    Endpoint("disputes/{dispute_id}/resolution", "resolve-dispute", path_fields=("dispute_id",)),
    Endpoint("contact", "update-contact"),
    Endpoint("pause", "pause"),
    Endpoint("resume", "resume"),
    Endpoint("write-off", "write-off"),
    Endpoint("cease-communication", "cease-communication"),
    Endpoint("override-limitation", "override-limitation"),
    Endpoint("approvals/{step}/approve", "approve", path_fields=("step",)),
    Endpoint("approvals/{step}/reject", "reject", path_fields=("step",)),
    Endpoint("contact-outcomes", "contact-outcome", now_fields=("at",)),
    Endpoint("bankruptcy", "bankruptcy"),
    Endpoint("legal-outcome", "legal-outcome"),
)


class SignalSent(BaseModel):
    """A signal is durable once sent; the workflow applies it when it next runs (see the account's status)."""

    account_id: str
    message: str
    command_id: str | None = None
    payment_id: str | None = None


def body_model(model: type[BaseModel], path_fields: tuple[str, ...] = (), now_fields: tuple[str, ...] = ()) -> type:
    """The request body of `model`: the same fields and validators, with `command_id`, `by` and `now_fields`
    optional, and the path's fields left out of the schema."""
    overrides: dict[str, Any] = {}
    if issubclass(model, Command):
        overrides["command_id"] = (
            Identifier | None,
            Field(None, description="the command's id (default: a fresh api-<hex>); the same id applies once"),
        )
        overrides["by"] = (Text | None, Field(None, description="who gives the command (default: the caller's role)"))
    for name in now_fields:
        overrides[name] = (AwareDatetime | None, Field(None, description="ISO 8601 with timezone (default: now)"))
    for name in path_fields:
        overrides[name] = (SkipJsonSchema[str | None], Field(None, description="taken from the path"))
    return create_model(f"{model.__name__}Body", __base__=model, __doc__=model.__doc__, **overrides)


def to_message(model: type[M], body: BaseModel, path: Mapping[str, str], defaults: Mapping[str, Any]) -> M:
    """The domain message from the body, the path's values, and defaults for the fields the caller left empty."""
    data = body.model_dump()
    data |= {name: value for name, value in defaults.items() if data.get(name) is None}
    data |= path
    try:
        message = model.model_validate(data)
    except ValidationError as error:  # a path value the model refuses (a malformed dispute id): as FastAPI would
        raise RequestValidationError(error.errors(include_url=False)) from None
    try:
        check_happened(message, datetime.now(UTC))
    except ValueError as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    return message


async def send(
    client: Client, account_id: str, message: str, kind: str, payload: Command | PaymentReceived, command_id: str
) -> Any:
    """An update (its AccountStatus, waiting at most starter.UPDATE_TIMEOUT for a worker) or a signal (409 when its
    id was already used for something else: see `starter.known_conflict`)."""
    handle = client.get_workflow_handle(workflow_id(account_id))
    with temporal_errors(account_id, command_id):
        if kind == "signal":
            conflict = await starter.known_conflict(handle, payload)
            if conflict:
                raise HTTPException(HTTPStatus.CONFLICT, detail=conflict)
            await handle.signal(message, payload)
            return None
        async with asyncio.timeout(starter.UPDATE_TIMEOUT.total_seconds()):
            return await handle.execute_update(message, payload, result_type=AccountStatus)


def new_command_id() -> str:
    return f"api-{uuid.uuid4().hex[:12]}"


def add_endpoint(endpoint: Endpoint) -> None:
    """Register the route of one operator command, with a signature FastAPI can read (path, body, caller)."""
    operation = starter.OPERATIONS[endpoint.operation]
    body_type = body_model(operation.model, endpoint.path_fields, endpoint.now_fields)

    async def handler(
        response: Response, account_id: str, body: Any, client: Client, caller: Caller, **path: str
    ) -> AccountStatus | SignalSent:
        defaults = {"command_id": new_command_id(), "by": caller.role}
        defaults |= {name: datetime.now(UTC) for name in endpoint.now_fields}
        command = to_message(operation.model, body, path, defaults)
        response.headers[COMMAND_ID_HEADER] = command.command_id
        result = await send(client, account_id, operation.message, operation.kind, command, command.command_id)
        if operation.kind == "signal":
            response.status_code = status.HTTP_202_ACCEPTED
            return SignalSent(account_id=account_id, message=operation.message, command_id=command.command_id)
        return result

    parameters = [
        _param("response", Response),
        _param("account_id", Annotated[str, Path(description="the account id of the billing system")]),
        *(_param(name, Annotated[str, Path()]) for name in endpoint.path_fields),
        _param("body", body_type),
        _param("client", Annotated[Client, Depends(get_client)]),
        _param("caller", Annotated[Caller, Depends(require(SUPERVISOR))]),
    ]
    handler.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    handler.__name__ = endpoint.operation.replace("-", "_")
    router.add_api_route(
        f"/{endpoint.path}",
        handler,
        methods=["POST"],
        response_model=AccountStatus if operation.kind == "update" else SignalSent,
        status_code=status.HTTP_200_OK if operation.kind == "update" else status.HTTP_202_ACCEPTED,
        summary=f"{operation.help} ({operation.kind} {operation.message})",
    )


def _param(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)


for _endpoint in ENDPOINTS:
    add_endpoint(_endpoint)


PaymentBody = body_model(PaymentReceived, now_fields=("received_at",))


@router.post(
    "/payments",
    response_model=SignalSent,
    status_code=status.HTTP_202_ACCEPTED,
    summary="record a payment received (signal payment_received); idempotent by payment_id",
)
async def post_payment(
    account_id: str,
    body: PaymentBody,  # type: ignore[valid-type]
    client: TemporalClient,
    _: Annotated[Caller, Depends(require(OPS, SUPERVISOR))],
) -> SignalSent:
    payment = to_message(PaymentReceived, body, {}, {"received_at": datetime.now(UTC)})
    await send(client, account_id, PAYMENT_RECEIVED, "signal", payment, payment.payment_id)
    return SignalSent(account_id=account_id, message=PAYMENT_RECEIVED, payment_id=payment.payment_id)
