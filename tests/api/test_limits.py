"""Bodies before auth (api/limits.py): a request without a key, or with a body over its route's limit, is refused
before its body is read, whether the body announces its length or comes in chunks. No Temporal is reached."""

import http.client
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from api.limits import MAX_BODY, MAX_EVENTS_BODY, limit_of
from tests.api.conftest import MACHINE_KEYS, serve_http
from tests.staff import hire

HUGE = 150 * 1024 * 1024
CHUNK = 16 * 1024
WRITE_OFF = "/v1/accounts/ACC-1/write-off"


def announce(base_url: str, path: str, length: int, headers: dict[str, str]) -> http.client.HTTPResponse:
    """Send only the headers of a POST announcing `length` bytes, and read the answer: a server that waits for the
    body times out (5 s)."""
    url = urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=5)
    connection.putrequest("POST", path)
    for name, value in {"Content-Type": "application/json", "Content-Length": str(length), **headers}.items():
        connection.putheader(name, value)
    connection.endheaders()
    return connection.getresponse()


@pytest.mark.parametrize(
    ("headers", "status", "detail"),
    [
        ({}, 401, "missing or unknown API key"),
        ({"X-API-Key": "not-a-key"}, 401, "missing or unknown API key"),
        ({"X-API-Key": MACHINE_KEYS["supervisor"]}, 413, f"at most {MAX_BODY} bytes"),
    ],
)
def test_a_huge_announced_body_is_answered_before_it_is_sent(
    offline_app: FastAPI, headers: dict[str, str], status: int, detail: str
) -> None:
    with serve_http(offline_app) as base_url:
        answer = announce(base_url, WRITE_OFF, HUGE, headers)
        assert answer.status == status and detail in answer.read().decode()
        assert answer.getheader("Connection") == "close"  # the rest of the body is not waited for
        assert httpx.get(f"{base_url}/healthz").status_code == 200


def test_a_persons_key_is_checked_before_the_body_too(offline_app: FastAPI) -> None:
    """A person's key is looked up in the staff register by the guard: known, the body's size decides; revoked, 401."""
    key = hire(offline_app.state.store, "supervisor")
    with serve_http(offline_app) as base_url:
        assert announce(base_url, WRITE_OFF, HUGE, {"X-API-Key": key}).status == 413
        offline_app.state.store.revoke_key(key.split("_")[1])
        assert announce(base_url, WRITE_OFF, HUGE, {"X-API-Key": key}).status == 401


class Body:
    """A chunked request body (no Content-Length) that counts what the app pulled."""

    def __init__(self, size: int) -> None:
        self.size, self.read = size, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.read < self.size:
            self.read += CHUNK
            yield b" " * CHUNK


async def post(app: FastAPI, path: str, body: Body, key: str | None) -> httpx.Response:
    """POST `body` as the route reads it: JSON to the API, a form to the dashboard."""
    form = path.startswith("/dashboard")
    headers = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        return await http.post(path, content=body, headers=headers | ({"X-API-Key": key} if key else {}))


async def test_without_a_key_no_byte_of_the_body_is_read(offline_app: FastAPI) -> None:
    body = Body(HUGE)
    answer = await post(offline_app, WRITE_OFF, body, None)
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "ApiKey"
    assert body.read == 0


@pytest.mark.parametrize(
    ("path", "role"), [(WRITE_OFF, "supervisor"), ("/v1/events", "ops"), ("/dashboard/login", None)]
)
async def test_a_chunked_body_is_cut_off_at_its_routes_limit(offline_app: FastAPI, path: str, role: str | None) -> None:
    body = Body(HUGE)
    answer = await post(offline_app, path, body, MACHINE_KEYS[role] if role else None)
    limit = limit_of(path)
    assert answer.status_code == 413 and answer.json() == {
        "detail": f"request body too large: this route takes at most {limit} bytes"
    }
    assert limit < body.read <= limit + CHUNK


async def test_events_take_a_larger_body_than_commands(offline_app: FastAPI) -> None:
    """A body of 10 times the commands' limit reaches the events route (and is refused there as not JSON)."""
    assert MAX_EVENTS_BODY > 10 * MAX_BODY
    events = await post(offline_app, "/v1/events", Body(10 * MAX_BODY), MACHINE_KEYS["ops"])
    assert events.status_code == 422 and "malformed JSON" in events.json()["detail"]
    command = await post(offline_app, WRITE_OFF, Body(10 * MAX_BODY), MACHINE_KEYS["supervisor"])
    assert command.status_code == 413
