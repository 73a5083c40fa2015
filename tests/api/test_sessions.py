"""api.sessions: opaque ids, expiry, close, and a bounded number of open sessions. Pure."""

from datetime import timedelta

import pytest

import api.sessions
from api.sessions import Sessions


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_session_is_an_opaque_id_until_it_expires_or_is_closed() -> None:
    clock = Clock()
    sessions = Sessions(ttl=timedelta(hours=8), clock=clock)
    first, second = sessions.open("dev-supervisor"), sessions.open("dev-supervisor")
    assert first != second and len(first) >= 43 and "dev-supervisor" not in first
    one, two = sessions.get(first), sessions.get(second)
    assert one and two and one.key == "dev-supervisor" and one.csrf != two.csrf
    assert sessions.get("guess") is None and sessions.get(None) is None and sessions.get("") is None

    sessions.close(first)
    assert sessions.get(first) is None and sessions.get(second) is not None
    clock.now += 8 * 3600
    assert sessions.get(second) is None


def test_expired_and_then_the_oldest_sessions_make_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.sessions, "MAX_SESSIONS", 3)
    clock = Clock()
    sessions = Sessions(ttl=timedelta(seconds=10), clock=clock)
    old = [sessions.open("k") for _ in range(3)]
    clock.now += 5
    newer = sessions.open("k")  # the oldest goes
    assert sessions.get(old[0]) is None and all(sessions.get(sid) for sid in [*old[1:], newer])
    clock.now += 6  # the first three have expired: purged on the next sign-in
    sessions.open("k")
    assert len(sessions._open) == 2
