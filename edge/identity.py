"""Who is acting, from the key they hold: one resolver for every edge (the HTTP API, the dashboard, the command lines).

Two kinds of key:
- a person's key (`ck_<key_id>_<secret>`, issued by `collections staff key`): resolved against the staff register in
  the store (`store.staff`), to that person, while the key is not revoked and the person is active;
- a machine key of `COLLECTIONS_API_KEYS` (`key=role,...`), for systems such as the billing feed's ingest: it has a
  role, no person and no approval level. Unset, the development keys `dev-ops`, `dev-supervisor` and `dev-legal` work,
  with a warning where a server starts: never run like that where others can reach it.

`Identity.by` is what histories, approvals and legal cases record: the person's username, or `<role>-key` for a
machine key. The edges never take it from the caller: they fill the command's identity fields (`IDENTITY_FIELDS`)
from the identity.
"""

import hmac
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from store.models import STAFF_ROLES, Staff
from store.repository import Store
from store.staff import KEY_PREFIX, LEADS

COLLECTOR, SUPERVISOR, MANAGER, GENERAL_MANAGER, LEGAL, OPS, ADMIN, AGENCY = STAFF_ROLES
ROLES = STAFF_ROLES
STAFF = (COLLECTOR, *LEADS)  # the people who work accounts: collectors and their leads

ENV = "COLLECTIONS_API_KEYS"
DEV_KEYS: dict[str, str] = {f"dev-{role}": role for role in (OPS, SUPERVISOR, LEGAL)}

# A command's fields that say who gives it, and the identity's attribute each is filled from. A model has the ones it
# declares (an approval's `approver_level`, where the domain has it); the caller never sets them.
IDENTITY_FIELDS = {"by": "by", "approver_level": "level"}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Identity:
    """Who a key says is acting. `level` is the approval level (None: may not approve); `machine` for a key of
    `COLLECTIONS_API_KEYS`, which stands for a system, not a person."""

    username: str
    name: str
    role: str
    team: str | None = None
    level: str | None = None
    machine: bool = False

    @property
    def by(self) -> str:
        """What the records say did it: the username, or `<role>-key` for a machine key."""
        return f"{self.role}-key" if self.machine else self.username

    @classmethod
    def of(cls, person: Staff) -> "Identity":
        return cls(person.username, person.full_name, person.role, person.team, person.approval_level)

    @classmethod
    def machine_key(cls, role: str) -> "Identity":
        return cls(f"{role}-key", f"{role} key", role, machine=True)

    def admitted(self, roles: tuple[str, ...]) -> bool:
        return self.role in roles


def either(roles: Sequence[str]) -> str:
    """Roles as a sentence says them: "legal", "supervisor or manager", "collector, supervisor or manager"."""
    return " or ".join(filter(None, (", ".join(roles[:-1]), roles[-1])))


def identity_fields(model: type[BaseModel], identity: Identity) -> dict[str, Any]:
    """The values of `model`'s identity fields, from `identity` (a model without such a field gets none)."""
    return {field: getattr(identity, attribute) for field, attribute in IDENTITY_FIELDS.items()
            if field in model.model_fields}  # fmt: skip


def resolve(key: str | None, store: Store | None, machine_keys: Mapping[str, str]) -> Identity | None:
    """The identity `key` stands for, or None (no key, an unknown or revoked one, a deactivated person; a person's
    key when there is no store to ask). Person keys are looked up in the store, blocking: call it from a thread in
    an event loop."""
    if not key:
        return None
    if key.startswith(KEY_PREFIX):
        person = store.resolve_key(key) if store is not None else None
        return Identity.of(person) if person is not None else None
    role = machine_role(key, machine_keys)
    return Identity.machine_key(role) if role is not None else None


def machine_role(key: str | None, keys: Mapping[str, str]) -> str | None:
    """The role of a machine key (None: no such key). Compares every key in constant time, so that response times do
    not leak how much of a key was right."""
    if not key:
        return None
    found = None
    for candidate, role in keys.items():
        if hmac.compare_digest(candidate.encode(), key.encode()):
            found = role
    return found


def parse_keys(text: str) -> dict[str, str]:
    """`key=role,...` to {key: role}. Raises ValueError on a malformed entry or an unknown role, so that a typo in the
    configuration stops the app instead of locking people out (or in) silently."""
    keys: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        key, equals, role = (part.strip() for part in entry.partition("="))
        if not (equals and key and role):
            raise ValueError(f"{ENV}: expected key=role, got {entry[:4]}…")
        if role not in ROLES:
            raise ValueError(f"{ENV}: unknown role {role!r} (roles: {', '.join(ROLES)})")
        if key.startswith(KEY_PREFIX):
            raise ValueError(f"{ENV}: a machine key may not start with {KEY_PREFIX} (people's keys do)")
        keys[key] = role
    if not keys:
        raise ValueError(f"{ENV} is set but names no key")
    return keys


def load_keys(env: Mapping[str, str] = os.environ, warn: bool = False) -> dict[str, str]:
    """The machine keys, or the development keys when `COLLECTIONS_API_KEYS` is unset (with a warning if `warn`)."""
    text = env.get(ENV)
    if text is None:
        if warn:
            log.warning("%s is not set: the development API keys %s are accepted", ENV, ", ".join(DEV_KEYS))
        return dict(DEV_KEYS)
    return parse_keys(text)
