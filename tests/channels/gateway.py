"""A local SMS gateway for tests: records each request, answers as the test says, and keeps one message per
idempotency key as a real provider does. A test may decide the answer per request (`Gateway.decide`), for
example to fail a fraction of calls."""

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Reply:
    """One answer: the status and JSON body, sent after `delay` seconds; `accept` keeps the message (a provider that
    answers too late for the client, or fails after taking the message, may well have taken it)."""

    status: int
    body: object
    delay: float = 0.0
    accept: bool = False


@dataclass
class Request:
    path: str
    headers: Message  # case-insensitive, as HTTP header names are
    body: dict
    reply: Reply | None = None  # what the gateway answered


@dataclass
class Gateway:
    """What the fake gateway answers (after `delay` seconds, cut short at teardown) and what it was sent."""

    url: str = ""
    status: int = 200
    answer: object = field(default_factory=lambda: {"id": "sms-1"})
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)
    accepted: dict[str, dict] = field(default_factory=dict)  # idempotency key -> message, as a provider keeps
    # Per request (called from the server's threads): the answer, or None for the one the fields above describe.
    decide: Callable[[Request], Reply | None] | None = None


class GatewayServer(ThreadingHTTPServer):
    gateway: Gateway


class Handler(BaseHTTPRequestHandler):
    server: GatewayServer

    def do_POST(self) -> None:
        gateway = self.server.gateway
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        request = Request(self.path, self.headers, body)
        reply = gateway.decide(request) if gateway.decide else None
        if reply is None:
            reply = Reply(gateway.status, gateway.answer, gateway.delay, accept=gateway.status == 200)
        request.reply = reply
        gateway.requests.append(request)
        key = self.headers.get("Idempotency-Key")
        if reply.accept and key:
            gateway.accepted.setdefault(key, body)  # a resend with the same key is the same message
        gateway.released.wait(reply.delay)
        payload = json.dumps(reply.body).encode()
        with contextlib.suppress(OSError):  # a client that timed out has gone
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows what matters."""


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    server = GatewayServer(("127.0.0.1", 0), Handler)
    server.gateway = Gateway(url=f"http://127.0.0.1:{server.server_port}/v1/messages")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.gateway
    server.gateway.released.set()
    server.shutdown()
    server.server_close()
    thread.join()
