"""API keys and roles. A key is sent in the `X-API-Key` header and maps to one role.

Keys come from `COLLECTIONS_API_KEYS`, as `key1=ops,key2=supervisor,key3=legal` (a role may have several keys).
Unset, the development keys `dev-ops`, `dev-supervisor` and `dev-legal` work, and the app logs a warning: never
run like that where the API is reachable by others.

Roles and what they may do (each route says which roles it accepts with `require(...)`):
- `ops`: send events, record payments;
- `supervisor`: everything about accounts (status, lists, every command, approvals), reports, payments too;
- `legal`: the legal cases.

A missing or unknown key is 401; a known key whose role the route does not accept is 403.
"""

import hmac
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

OPS, SUPERVISOR, LEGAL = "ops", "supervisor", "legal"
ROLES = (OPS, SUPERVISOR, LEGAL)
ENV = "COLLECTIONS_API_KEYS"
HEADER = "X-API-Key"
DEV_KEYS: dict[str, str] = {f"dev-{role}": role for role in ROLES}
UNAUTHENTICATED = f"missing or unknown API key (send it in the {HEADER} header)"

log = logging.getLogger(__name__)
api_key_header = APIKeyHeader(name=HEADER, auto_error=False, description="an API key; its role decides the routes")


def parse_keys(text: str) -> dict[str, str]:
    """`key=role,...` to {key: role}. Raises ValueError on a malformed entry or an unknown role, so that a typo in
    the configuration stops the app instead of locking people out (or in) silently."""
    keys: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        key, equals, role = (part.strip() for part in entry.partition("="))
        if not (equals and key and role):
            raise ValueError(f"{ENV}: expected key=role, got {entry[:4]}…")
        if role not in ROLES:
            raise ValueError(f"{ENV}: unknown role {role!r} (roles: {', '.join(ROLES)})")
        keys[key] = role
    if not keys:
        raise ValueError(f"{ENV} is set but names no key")
    return keys


def load_keys(env: Mapping[str, str] = os.environ, warn: bool = False) -> dict[str, str]:
    """The configured keys, or the development keys when `COLLECTIONS_API_KEYS` is unset (with a warning)."""
    text = env.get(ENV)
    if text is None:
        if warn:
            log.warning("%s is not set: the development API keys %s are accepted", ENV, ", ".join(DEV_KEYS))
        return dict(DEV_KEYS)
    return parse_keys(text)


def role_of(key: str | None, keys: Mapping[str, str] | None = None) -> str | None:
    """The role of `key` (None: no such key). Compares every key in constant time, so that response times do not
    leak how much of a key was right."""
    if not key:
        return None
    found = None
    for candidate, role in (load_keys() if keys is None else keys).items():
        if hmac.compare_digest(candidate.encode(), key.encode()):
            found = role
    return found


@dataclass(frozen=True)
class Caller:
    """Who is calling, as far as the key tells: its role. Used as the default `by` of commands."""

    role: str


def require(*roles: str) -> Callable[..., Caller]:
    """A dependency that admits keys of `roles` and gives the route the `Caller`:
    `caller: Caller = Depends(require(SUPERVISOR))`, or `dependencies=[Depends(require(LEGAL))]`."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def dependency(request: Request, key: str | None = Depends(api_key_header)) -> Caller:
        keys = getattr(request.app.state, "api_keys", None)
        role = role_of(key, keys)
        if role is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail=UNAUTHENTICATED,
                headers={"WWW-Authenticate": "ApiKey"},
            )
        if role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=f"the {role} role may not do this")
        return Caller(role)

    return dependency
