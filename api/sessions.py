"""The dashboard's sessions: the browser holds an opaque random id, and what it stands for stays on the server.

A session is opened by signing in with a key and holds that key (who the viewer is, their name, role and team, is
resolved from it at every request: a revoked key or a deactivated person is signed out at once) and the session's
CSRF token, which every form of the dashboard carries and every POST must return. The id is 256 random bits
(`secrets`): it says nothing and cannot be guessed. Signing out closes the session, so a copied cookie stops working
at once; a session also ends `SESSION_TTL` after it was opened.

Sessions live in the memory of the API process (`app.state.sessions`): restarting the API signs everybody out, and
several API processes behind one address would each know only their own sessions (run one, as docker-compose does,
or route each browser to the same process).
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

SESSION_TTL = timedelta(hours=8)  # a working day, then sign in again
MAX_SESSIONS = 10_000  # far more than the people who hold keys; past it the oldest session is closed


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    key: str
    csrf: str
    expires: float  # on the sessions' clock


class Sessions:
    """Open sessions by id. Used from the event loop only (the dashboard's routes are async): no locking."""

    def __init__(self, ttl: timedelta = SESSION_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.clock = ttl, clock
        self._open: dict[str, Session] = {}

    def open(self, key: str) -> str:
        """A new session for `key`; returns its id (the cookie's value)."""
        now = self.clock()
        for expired in [sid for sid, session in self._open.items() if session.expires <= now]:
            del self._open[expired]
        while len(self._open) >= MAX_SESSIONS:
            del self._open[next(iter(self._open))]  # the oldest: dicts keep their insertion order
        sid = new_token()
        self._open[sid] = Session(key, new_token(), now + self.ttl.total_seconds())
        return sid

    def get(self, sid: str | None) -> Session | None:
        session = self._open.get(sid) if sid else None
        if session is not None and session.expires <= self.clock():
            self.close(sid)
            return None
        return session

    def close(self, sid: str | None) -> None:
        if sid:
            self._open.pop(sid, None)
