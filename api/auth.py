"""Keys, identities and roles. A key is sent in the `X-API-Key` header and stands for an identity (`edge.identity`):
- a person's key (`ck_...`, from `collections staff key USERNAME`), resolved against the staff register at every
  request, so a revoked key or a deactivated person is refused at once;
- a machine key of `COLLECTIONS_API_KEYS` (`key1=ops,key2=supervisor`), for systems such as the billing feed: a role
  and no person. Unset, the development keys `dev-ops`, `dev-supervisor` and `dev-legal` work, and the app logs a
  warning: never run like that where the API is reachable by others.

The identity is who the records say acted: commands, approvals and legal cases take their `by` (the username, or
`<role>-key` for a machine key) from it, never from the request.

Roles (each route says which it admits with `require(...)`):
- `collector` works accounts: reads them, records promises, plans, disputes, contact details and outcomes;
- the leads, `supervisor`, `manager` and `general_manager` (LEADS), do what collectors do (STAFF is both) and decide:
  approvals (up to their approval level), pauses, write-offs, disputes resolved; payments and the aging report;
- `legal` works the legal cases, reads accounts and records a legal outcome;
- `ops` sends events and payments (machines, mostly);
- `admin` reads the staff list (people and keys are managed with `collections staff`).

A missing or unknown key is 401; a known key whose role the route does not accept is 403.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader
from pydantic import AfterValidator, ValidationInfo
from pydantic.json_schema import SkipJsonSchema
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import HTTPConnection

from edge.identity import (
    ADMIN,
    COLLECTOR,
    DEV_KEYS,
    ENV,
    GENERAL_MANAGER,
    LEADS,
    LEGAL,
    MANAGER,
    OPS,
    ROLES,
    STAFF,
    SUPERVISOR,
    Identity,
    load_keys,
    parse_keys,
    resolve,
)

__all__ = [
    "ADMIN", "COLLECTOR", "DEV_KEYS", "ENV", "GENERAL_MANAGER", "HEADER", "LEADS", "LEGAL", "MANAGER", "OPS", "ROLES",
    "STAFF", "SUPERVISOR", "UNAUTHENTICATED", "FromKey", "Identity", "admit", "identify", "load_keys", "parse_keys",
    "require",
]  # fmt: skip

HEADER = "X-API-Key"
UNAUTHENTICATED = f"missing or unknown API key (send it in the {HEADER} header)"

api_key_header = APIKeyHeader(name=HEADER, auto_error=False, description="a person's key or a machine key")


async def identify(connection: HTTPConnection, key: str | None) -> Identity | None:
    """The identity of `key` (None: not known), resolved once per request: the guard in front of the routes
    (`api.limits`) and the route's own dependency share the answer."""
    if not key:
        return None
    known: dict[str, Identity | None] | None = getattr(connection.state, "identities", None)
    if known is None:
        known = connection.state.identities = {}
    if key not in known:
        state = connection.app.state
        try:
            known[key] = await asyncio.to_thread(resolve, key, getattr(state, "store", None), state.api_keys)
        except SQLAlchemyError:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE, detail="the staff register cannot be reached to check the key"
            ) from None
    return known[key]


def admit(identity: Identity | None, roles: tuple[str, ...]) -> Identity:
    """`identity` if its role is one of `roles`; else 401 (no identity) or 403."""
    if identity is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail=UNAUTHENTICATED, headers={"WWW-Authenticate": "ApiKey"}
        )
    if not identity.admitted(roles):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"the {identity.role} role may not do this")
    return identity


def require(*roles: str) -> Callable[..., Awaitable[Identity]]:
    """A dependency that admits keys of `roles` and gives the route the `Identity`:
    `who: Annotated[Identity, Depends(require(*LEADS))]`, or `dependencies=[Depends(require(LEGAL))]`."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def dependency(request: Request, key: str | None = Depends(api_key_header)) -> Identity:
        return admit(await identify(request, key), roles)

    return dependency


def _from_key(value: Any, info: ValidationInfo) -> Any:
    if value is not None:
        raise ValueError(f"{info.field_name} comes from your key, not from the request")
    return value


# A body field that says who acts (`by`): absent from the schema, and refused (422) when a client still sends it, so
# that it learns the field is gone rather than see it silently ignored.
FromKey = Annotated[Any, SkipJsonSchema(), AfterValidator(_from_key)]
