"""Request bodies are bounded, and API keys checked, before any route reads a byte of a body.

FastAPI reads and parses a route's JSON body before it runs the route's dependencies (the key check among them),
and it reads all of it: three 150 MB POSTs without a key once took 6.7 s to get their 401 and grew the process by
768 MB. `Guard`, a pure ASGI middleware, stands in front of every route:

- a request to a keyed path (`/v1/...`, `/codec/...`) that carries no known key (a machine key, or a person's key
  that resolves: `api.auth.identify`, whose answer the route reuses) is answered 401 at once, its body unread. Which
  roles a route admits stays the route's decision (its 403 comes from its dependency, after parsing, for a caller who
  holds a key). CORS preflights (OPTIONS) carry no key by design and pass;
- a body whose `Content-Length` is over its route's limit is answered 413 at once, unread;
- a body sent without a length (chunked) is counted while the route reads it and answered 413 as soon as it passes
  the limit: the route is told the client left, and whatever it answers then is dropped.

Both refusals say `Connection: close`, so the server stops reading the rest of the body. The answers are JSON
(`{"detail": "..."}`), like every refusal of the API.
"""

import json
from collections.abc import Mapping

from fastapi import HTTPException
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import HEADER, UNAUTHENTICATED, identify
from api.codec import cors_headers
from api.codec import router as codec_router

KiB, MiB = 1024, 1024 * 1024
# Every route but the two below: the largest command (a note of 4,000 characters, a dispute naming 100 invoices,
# a plan of 100 installments) is well under 20 KiB even with every character escaped; a sign-in form is tiny.
MAX_BODY = 64 * KiB
# POST /v1/events takes a batch of up to api.events.MAX_EVENTS (10,000) events; an event is about 0.5 to 1 KiB of
# JSON, so 16 MiB holds a full batch with room for long names and unknown fields, and no more.
MAX_EVENTS_BODY = 16 * MiB
# The Web UI's codec calls carry one set of payloads: at most Temporal's 2 MB blob limit, 2.7 MB in base64.
MAX_CODEC_BODY = 4 * MiB
LIMITS: Mapping[str, int] = {"/v1/events": MAX_EVENTS_BODY, f"{codec_router.prefix}/": MAX_CODEC_BODY}
KEYED = ("/v1/", f"{codec_router.prefix}/")  # every route under these needs a key (tests/api/test_roles.py)


def limit_of(path: str) -> int:
    """The largest body `path` accepts: an exact path, or a prefix ending in '/', of LIMITS; else MAX_BODY."""
    for route, size in LIMITS.items():
        if path == route or (route.endswith("/") and path.startswith(route)):
            return size
    return MAX_BODY


class Guard:
    """The middleware (see the module's docstring): `app.add_middleware(Guard)`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, headers = scope["path"], _headers(scope)
        limit = limit_of(path)
        if path.startswith(KEYED) and scope["method"] != "OPTIONS":
            try:
                known = await _known_key(scope, headers)
            except HTTPException as error:  # the staff register is not reachable
                await _refuse(send, error.status_code, str(error.detail))
                return
            if not known:
                await _refuse(send, 401, UNAUTHENTICATED, _unknown(scope, path, headers))
                return
        length = headers.get("content-length")
        if length is not None and not (length.isascii() and length.isdigit()):
            await _refuse(send, 400, "invalid Content-Length")
            return
        if length is not None and int(length) > limit:
            await _refuse(send, 413, _too_large(limit))
            return
        await _Counted(self.app, limit).run(scope, receive, send)


class _Counted:
    """One request whose body is counted as the app reads it (a chunked body announces no length)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit
        self.received = 0
        self.started = self.refused = False

    async def run(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    if not self.started:  # an app that answers while it reads cannot be refused, only cut off
                        await _refuse(send, 413, _too_large(self.limit))
                    self.refused = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked(message: Message) -> None:
            if self.refused:
                return  # the 413 is the answer
            self.started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except Exception:
            if not self.refused:
                raise  # after a refusal the app may fail on the client it was told had left: nothing to report


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


async def _known_key(scope: Scope, headers: Mapping[str, str]) -> bool:
    """A key the app knows, in X-API-Key or as a bearer token (the codec's Web UI sends that)."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    key = headers.get(HEADER.lower()) or (token.strip() if scheme.lower() == "bearer" else None)
    return await identify(HTTPConnection(scope), key) is not None


def _unknown(scope: Scope, path: str, headers: Mapping[str, str]) -> dict[str, str]:
    """The 401's headers, as the routes' own: the codec's carry CORS (the app's settings' origins), so that the Web
    UI can show the refusal."""
    settings = getattr(scope["app"].state, "settings", None)
    allowed = settings.codec_cors_origins if settings is not None else ()
    extra = cors_headers(headers.get("origin"), allowed) if path.startswith(KEYED[1]) else {}
    return {"WWW-Authenticate": "ApiKey", **extra}


def _too_large(limit: int) -> str:
    return f"request body too large: this route takes at most {limit} bytes"


async def _refuse(send: Send, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    fields = {"content-type": "application/json", "content-length": str(len(body)), "connection": "close"}
    fields |= {name.lower(): value for name, value in (headers or {}).items()}
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in fields.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
