"""The staff register: who works here, in which role, and their keys. `Store` has these verbs (it is a
`StaffRegister`); each is one short transaction.

A key is shown once, as `ck_<key_id>_<secret>`, and only the secret's SHA-256 is stored: the database alone never
lets anybody act as anybody. The secret is 256 random bits (`secrets.token_urlsafe(32)`), so a fast hash is right
here: nobody can guess their way to such a secret whatever the hash costs, and slow password hashes exist for secrets
people choose. A key resolves to its person only while it is not revoked and the person is active.

Approval levels are the leads' (supervisor, manager, general_manager): a lead holds their role's level unless another
one is given (an acting manager); the other roles hold none, so nobody outside the leads can approve at all.
"""

import hashlib
import hmac
import re
import secrets
from contextlib import AbstractContextManager
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.people import LEADS  # the roles that hold an approval level (their own by default)
from store.errors import Conflict, NotFound
from store.models import APPROVAL_LEVELS, STAFF_ROLES, ApiKey, Staff, utcnow

KEY_PREFIX = "ck_"
_IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # usernames and teams
_KEY = re.compile(rf"{KEY_PREFIX}([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})")
MAX_NAME = 200
LAST_USED_EVERY = timedelta(minutes=10)  # last_used_at is for finding stale keys: no write at every request


def default_level(role: str) -> str | None:
    """A lead's own level (supervisor, manager, general_manager); None for the other roles."""
    return role if role in LEADS else None


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_key(key: str) -> tuple[str, str] | None:
    """(key_id, secret) of a well-formed person key, else None."""
    found = _KEY.fullmatch(key)
    return (found[1], found[2]) if found else None


def check_person(username: str, full_name: str, role: str, team: str | None, level: str | None) -> None:
    """ValueError with the reason when a new person's fields are not acceptable (see the module's docstring)."""
    if not _IDENTIFIER.fullmatch(username):
        raise ValueError(f"username {username[:70]!r}: lowercase letters, digits and . _ - (at most 64, starting "
                         "with a letter or digit)")  # fmt: skip
    if not full_name.strip() or len(full_name) > MAX_NAME or not full_name.isprintable():
        raise ValueError(f"name: 1 to {MAX_NAME} printable characters")
    if role not in STAFF_ROLES:
        raise ValueError(f"role {role[:40]!r}: one of {', '.join(STAFF_ROLES)}")
    if team is not None and not _IDENTIFIER.fullmatch(team):
        raise ValueError(f"team {team[:70]!r}: lowercase letters, digits and . _ - (at most 64)")
    if level is not None and level not in APPROVAL_LEVELS:
        raise ValueError(f"level {level[:40]!r}: one of {', '.join(APPROVAL_LEVELS)}")
    if level is not None and role not in LEADS:
        raise ValueError(f"only leads ({', '.join(LEADS)}) hold an approval level, not a {role}")


class StaffRegister:
    """The staff verbs of `store.repository.Store`."""

    def _session(self) -> AbstractContextManager[Session]:
        raise NotImplementedError  # the Store's: one transaction

    def add_staff(
        self, username: str, full_name: str, role: str, team: str | None = None, level: str | None = None
    ) -> Staff:
        """A new person, active, with their role's approval level unless `level` names another. Raises ValueError
        for a field out of bounds, Conflict for a username already taken (a person is never silently replaced)."""
        check_person(username, full_name, role, team, level)
        person = Staff(username=username, full_name=full_name.strip(), role=role, team=team,
                       approval_level=level or default_level(role))  # fmt: skip
        taken = Conflict(f"staff {username} already exists")
        try:
            with self._session() as session:
                if session.get(Staff, username) is not None:
                    raise taken
                session.add(person)
        except IntegrityError:  # added by another process in between
            raise taken from None
        return person

    def staff(self, username: str) -> Staff | None:
        with self._session() as session:
            return session.get(Staff, username)

    def list_staff(self) -> list[Staff]:
        with self._session() as session:
            return list(session.exec(select(Staff).order_by(col(Staff.username))).all())

    def deactivate(self, username: str) -> Staff:
        """The person can no longer act: their keys stop resolving at once. Idempotent."""
        with self._session() as session:
            person = self._person(session, username)
            person.active = False
        return person

    def issue_key(self, username: str) -> str:
        """A new key for an active person, returned in plaintext this once (only its hash is stored)."""
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        with self._session() as session:
            if not self._person(session, username).active:
                raise Conflict(f"staff {username} is deactivated: no key can be issued")
            session.add(ApiKey(key_id=key_id, username=username, secret_sha256=secret_digest(secret)))
        return f"{KEY_PREFIX}{key_id}_{secret}"

    def keys(self, username: str | None = None) -> list[ApiKey]:
        """Keys (never their secrets, which are not kept), oldest first."""
        statement = select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.key_id))
        if username is not None:
            statement = statement.where(ApiKey.username == username)
        with self._session() as session:
            return list(session.exec(statement).all())

    def revoke_key(self, key_id: str) -> ApiKey:
        """The key stops resolving at once. Idempotent: revoking again keeps the first time."""
        with self._session() as session:
            key = session.get(ApiKey, key_id, with_for_update=True)
            if key is None:
                raise NotFound(f"no key {key_id}")
            key.revoked_at = key.revoked_at or utcnow()
        return key

    def resolve_key(self, key: str) -> Staff | None:
        """The active person whose unrevoked key this is, else None. The hash is compared in constant time."""
        parsed = parse_key(key)
        if parsed is None:
            return None
        key_id, secret = parsed
        now = utcnow()
        with self._session() as session:
            row = session.get(ApiKey, key_id)
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.secret_sha256, secret_digest(secret)):
                return None
            person = session.get(Staff, row.username)
            if person is None or not person.active:
                return None
            if row.last_used_at is None or now - row.last_used_at > LAST_USED_EVERY:
                row.last_used_at = now
            return person

    @staticmethod
    def _person(session: Session, username: str) -> Staff:
        person = session.get(Staff, username, with_for_update=True)
        if person is None:
            raise NotFound(f"no staff {username}")
        return person
