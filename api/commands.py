"""`POST /v1/accounts/{account_id}/...`: payments and every operator command, one route per update and signal.

The routes are generated from the operations table (`edge.operations.OPERATIONS`: each command's model, its
handler, its roles and its route), and send through `edge.client.send`, as the command line does.

Who gives a command is the caller's key (`api.auth`): the command's identity fields are filled from the key's
identity (`edge.identity.IDENTITY_FIELDS`: `by` is the person's username, or `<role>-key` for a machine key;
`approver_level`, where a model has it, the person's approval level). They are not in the bodies, and a body that
still sends one is refused (422), so nobody acts under another's name.

Bodies are the domain command models (`domain.commands`) without those fields, with two conveniences:
- `command_id` is optional: absent, a fresh `api-<hex>` is used. It is returned in the `X-Command-Id` header (and in
  the body of signals). Sending a command again with the same id applies it once; the same id with other content is
  a conflict (409).
- Ids that are in the path (`dispute_id`, `step`) are not in the body; `at` of a contact outcome and `received_at`
  of a payment default to now.

Updates answer 200 with the account's status. Signals (payments, bankruptcy, contact outcomes, legal outcomes) are
facts recorded when the workflow next runs: 202 with what was sent. Errors: see `api.errors`.
"""

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import AwareDatetime, BaseModel, Field, ValidationError, create_model
from pydantic.json_schema import SkipJsonSchema
from temporalio.client import Client

from api.auth import LEADS, OPS, FromKey, Identity, require
from api.errors import temporal_errors
from api.state import SystemOfRecord, TemporalClient
from domain.bounds import EDGE, check_happened
from domain.commands import Command
from domain.events import Identifier, PaymentReceived
from domain.rerouting import CommandConflict
from domain.status import AccountStatus
from edge.client import new_command_id, pay, send
from edge.identity import IDENTITY_FIELDS, identity_fields
from edge.operations import OPERATIONS, Operation
from edge.work import sync
from store.repository import Store
from workflows import PAYMENT_RECEIVED

COMMAND_ID_HEADER = "X-Command-Id"
M = TypeVar("M", bound=BaseModel)
ACCOUNT_PATH = "/v1/accounts/{account_id}"
AccountId = Annotated[str, Path(description="the account id of the billing system")]

router = APIRouter(prefix=ACCOUNT_PATH, tags=["account commands"])


class SignalSent(BaseModel):
    """A signal is durable once sent; the workflow applies it when it next runs (see the account's status)."""

    account_id: str
    message: str
    command_id: str | None = None
    payment_id: str | None = None


def body_model(model: type[BaseModel], path_fields: tuple[str, ...] = (), now_fields: tuple[str, ...] = ()) -> type:
    """The request body of `model`: the same fields and validators, with `command_id` and `now_fields` optional, the
    path's fields left out of the schema, and the identity fields (`by`, ...) out of it and refused."""
    overrides: dict[str, Any] = {name: (FromKey, None) for name in IDENTITY_FIELDS if name in model.model_fields}
    if issubclass(model, Command):
        overrides["command_id"] = (
            Identifier | None,
            Field(None, description="the command's id (default: a fresh api-<hex>); the same id applies once"),
        )
    for name in now_fields:
        overrides[name] = (AwareDatetime | None, Field(None, description="ISO 8601 with timezone (default: now)"))
    for name in path_fields:
        overrides[name] = (SkipJsonSchema[str | None], Field(None, description="taken from the path"))  # type: ignore[misc]
    return create_model(f"{model.__name__}Body", __base__=model, __doc__=model.__doc__, **overrides)


def to_message(
    model: type[M], body: BaseModel, path: Mapping[str, str], defaults: Mapping[str, Any], identity: Identity
) -> M:
    """The domain message from the body, the path's values, defaults for the fields the caller left empty, and the
    identity's fields."""
    data = body.model_dump()
    data |= {name: value for name, value in defaults.items() if data.get(name) is None}
    data |= {**path, **identity_fields(model, identity)}
    try:
        message = model.model_validate(data, context=EDGE)
    except ValidationError as error:  # a path value the model refuses (a malformed dispute id): as FastAPI would
        raise RequestValidationError(error.errors(include_url=False)) from None
    try:
        check_happened(message, datetime.now(UTC))
    except ValueError as error:
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(error)) from None
    return message


async def dispatch(
    client: Client, account_id: str, operation: Operation, command: Command, response: Response
) -> AccountStatus | None:
    """Send the command (its id in the response's header): the status for an update, None for a signal; a conflicting
    id is 409, Temporal's refusals as `temporal_errors` says."""
    response.headers[COMMAND_ID_HEADER] = command.command_id
    with temporal_errors(account_id, command.command_id):
        try:
            return await send(client, account_id, operation, command)
        except CommandConflict as conflict:
            raise HTTPException(HTTPStatus.CONFLICT, detail=str(conflict)) from None


def add_route(name: str, operation: Operation) -> None:
    """The route of one operator command: its body, its path field if any (`{dispute_id}`, `{step}`), its roles."""
    assert operation.route is not None
    Body = body_model(operation.model, operation.path_fields, operation.now_fields)
    Allowed = Annotated[Identity, Depends(require(*operation.roles))]

    async def run(response: Response, account_id: str, body: BaseModel, client: Client, identity: Identity,
                  path: dict[str, str], store: Store) -> AccountStatus | SignalSent:  # fmt: skip
        defaults: dict[str, Any] = {"command_id": new_command_id("api")}
        defaults |= {field: datetime.now(UTC) for field in operation.now_fields}
        command = to_message(operation.model, body, path, defaults, identity)
        status = await dispatch(client, account_id, operation, command, response)
        if status is None:
            response.status_code = HTTPStatus.ACCEPTED
            return SignalSent(account_id=account_id, message=operation.message, command_id=command.command_id)
        await asyncio.to_thread(sync, store, status, identity.by)  # a task worked from here closes in the queue
        return status

    handler: Callable[..., Any]
    if operation.path_fields:
        [field] = operation.path_fields

        async def with_path(
            response: Response,
            account_id: AccountId,
            key: Annotated[str, Path(alias=field)],
            body: Body,  # type: ignore[valid-type]  # a model made at run time
            client: TemporalClient,
            identity: Allowed,
            store: SystemOfRecord,
        ) -> Any:
            return await run(response, account_id, body, client, identity, {field: key}, store)

        handler = with_path
    else:

        async def without_path(
            response: Response,
            account_id: AccountId,
            body: Body,  # type: ignore[valid-type]  # a model made at run time
            client: TemporalClient,
            identity: Allowed,
            store: SystemOfRecord,
        ) -> Any:
            return await run(response, account_id, body, client, identity, {}, store)

        handler = without_path
    handler.__name__ = name.replace("-", "_")
    router.add_api_route(
        f"/{operation.route}",
        handler,
        methods=["POST"],
        response_model=AccountStatus if operation.kind == "update" else SignalSent,
        status_code=status.HTTP_200_OK if operation.kind == "update" else status.HTTP_202_ACCEPTED,
        summary=f"{operation.help} ({operation.kind} {operation.message})",
    )


for _name, _operation in OPERATIONS.items():
    if _operation.route:
        add_route(_name, _operation)


PaymentBody = body_model(PaymentReceived, now_fields=("received_at",))


@router.post(
    "/payments",
    response_model=SignalSent,
    status_code=status.HTTP_202_ACCEPTED,
    summary="record a payment received (signal payment_received); idempotent by payment_id",
)
async def post_payment(
    account_id: AccountId,
    body: PaymentBody,  # type: ignore[valid-type]
    client: TemporalClient,
    identity: Annotated[Identity, Depends(require(OPS, *LEADS))],
) -> SignalSent:
    return await record_payment(client, account_id, body, identity)


async def record_payment(client: Client, account_id: str, body: BaseModel, identity: Identity) -> SignalSent:
    """The payment of `body` (a PaymentBody) to the account: the signal, a conflicting id 409 (an agency's
    payments go this way too, `api.agencies`)."""
    payment = to_message(PaymentReceived, body, {}, {"received_at": datetime.now(UTC)}, identity)
    with temporal_errors(account_id, payment.payment_id):
        try:
            await pay(client, account_id, payment)
        except CommandConflict as conflict:
            raise HTTPException(HTTPStatus.CONFLICT, detail=str(conflict)) from None
    return SignalSent(account_id=account_id, message=PAYMENT_RECEIVED, payment_id=payment.payment_id)
