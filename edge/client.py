"""Talking to an account's workflow from outside it. The command line, the HTTP API and the dashboard all go
through here: one way to send a command, one pair of timeouts, one way to read a status."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from temporalio import workflow
from temporalio.client import Client, RPCTimeoutOrCancelledError, WorkflowHandle, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from domain.commands import Command, digest
from domain.events import PaymentReceived
from domain.rerouting import CommandConflict
from domain.status import AccountStatus
from edge.operations import Operation
from workflows import MESSAGE_DIGEST, PAYMENT_RECEIVED, STATUS, workflow_id

QUERY_TIMEOUT = timedelta(seconds=10)
UPDATE_TIMEOUT = timedelta(seconds=30)  # an update needs a worker to validate and apply it


def new_command_id(prefix: str) -> str:
    """A fresh command id, `cli-<hex>` or `api-<hex>`: who made it shows in the account's history."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def account(client: Client, account_id: str) -> WorkflowHandle:
    return client.get_workflow_handle(workflow_id(account_id))


async def query_status(client: Client, account_id: str) -> AccountStatus:
    """The account as of now by the caller's clock (a sleeping workflow's own clock stopped at its last task)."""
    return await account(client, account_id).query(
        STATUS, datetime.now(UTC), result_type=AccountStatus, rpc_timeout=QUERY_TIMEOUT
    )


async def send(client: Client, account_id: str, operation: Operation, command: Command) -> AccountStatus | None:
    """An update, answered with the account's status (TimeoutError when no worker answers within UPDATE_TIMEOUT:
    the update may still apply when one does); or a signal, durable once sent. Raises CommandConflict when the
    command's id was already used for another command."""
    handle = account(client, account_id)
    if operation.kind == "signal":
        await _refuse_conflict(handle, command)
        await handle.signal(operation.handler, command)
        return None
    update = cast(workflow.UpdateMethodMultiParam[[Any, Command], AccountStatus], operation.handler)
    async with asyncio.timeout(UPDATE_TIMEOUT.total_seconds()):
        return await handle.execute_update(update, command)


async def pay(client: Client, account_id: str, payment: PaymentReceived) -> None:
    """The payment_received signal. Raises CommandConflict when its id was already used for another payment."""
    handle = account(client, account_id)
    await _refuse_conflict(handle, payment)
    await handle.signal(PAYMENT_RECEIVED, payment)


async def _refuse_conflict(handle: WorkflowHandle, message: Command | PaymentReceived) -> None:
    """Signals cannot be refused to their sender: ask the workflow first what the message's id was used for, so the
    sender hears of a conflict. Without an answer (no worker, a failing query) the signal goes anyway, and the
    workflow records the conflict as refused. Updates need no such question: their validators refuse a conflict."""
    kind, message_id = (
        ("payment", message.payment_id) if isinstance(message, PaymentReceived) else ("command", message.command_id)
    )
    try:
        known = await handle.query(MESSAGE_DIGEST, args=[kind, message_id], rpc_timeout=QUERY_TIMEOUT)
    except (RPCTimeoutOrCancelledError, WorkflowQueryFailedError):
        return
    except RPCError as error:
        if error.status in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
            return
        raise
    if known is not None and known != digest(message):
        raise CommandConflict(f"{kind} id {message_id} was already used for a different {kind} on this account")
