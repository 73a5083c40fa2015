"""Temporal's answers as HTTP statuses, in one place, so every account route says the same thing the same way:

- a workflow validator said no (an update failed with an ApplicationError): 422 with its reason, 409 when the
  command's id was already used for a different command, 403 when the sender may not give it (`CommandForbidden`: an
  approval below the level the request needs);
- no workflow for the account: 404; its workflow has completed (the account is closed): 409;
- no worker answered in time: 504 (the command may still apply when one does: repeat it with the same command_id);
- any other Temporal error: 502.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus

from fastapi import HTTPException, status
from temporalio.client import (
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

# The ApplicationError types of a refused update that are not a 422, and their status.
REFUSALS = {"CommandConflict": HTTPStatus.CONFLICT, "CommandForbidden": HTTPStatus.FORBIDDEN}


@contextmanager
def temporal_errors(account_id: str, command_id: str | None = None) -> Iterator[None]:
    try:
        yield
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError):
            refusal = REFUSALS.get(cause.type or "", HTTPStatus.UNPROCESSABLE_ENTITY)
            raise HTTPException(refusal, detail=cause.message) from None
        raise HTTPException(HTTPStatus.UNPROCESSABLE_ENTITY, detail=str(cause)) from None
    except (TimeoutError, RPCTimeoutOrCancelledError):
        again = f"; repeat with command_id {command_id} (it applies once)" if command_id else ""
        raise HTTPException(
            status.HTTP_504_GATEWAY_TIMEOUT, detail=f"no worker answered for account {account_id} in time{again}"
        ) from None
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=f"the status query failed: {error}") from None
    except RPCError as error:
        if account_closed(error):
            detail = f"account {account_id} is closed: its collection workflow has completed (see its status)"
            raise HTTPException(status.HTTP_409_CONFLICT, detail=detail) from None
        if error.status == RPCStatusCode.NOT_FOUND:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, detail=f"no collection workflow for account {account_id}"
            ) from None
        if error.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
            raise HTTPException(
                status.HTTP_504_GATEWAY_TIMEOUT, detail=f"Temporal timed out: {error.message}"
            ) from None
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=f"Temporal error: {error.message}") from None


def account_closed(error: RPCError) -> bool:
    """Temporal's answer to a message for a workflow that has completed (the account is closed)."""
    return error.status == RPCStatusCode.NOT_FOUND and "already completed" in error.message
