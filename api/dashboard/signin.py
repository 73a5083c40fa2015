"""Who is looking, and the frame every page is drawn in: sign-in, sessions and CSRF; security headers, error pages,
rendering and the flash message.

Sign-in with a key (a person's, from `collections staff key`, or a machine key) opens a server-side session
(`api.sessions`): the browser holds only its opaque random id, in an HttpOnly, SameSite=Strict cookie (Secure over
https), and signing out closes it, so a copied cookie stops working. Who the viewer is (name, role, team, the `by` of
their commands) is resolved from the session's key at every request (`api.auth.identify`): a revoked key or a
deactivated person is signed out at once.

SameSite does not stop a page of the same site (another port of the host, a sibling subdomain) from posting a form
with the cookie attached, so every form also carries the session's CSRF token and every POST is refused (403) without
it; the sign-in form carries a token of its own, kept in a cookie until there is a session.
"""

import base64
import binascii
import functools
import hmac
import json
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

import book
from api.auth import COLLECTOR, LEADS, LEGAL, OPS, ROLES, STAFF, Identity, identify
from api.dashboard.views import local, money, score, when
from api.sessions import new_token
from api.state import get_sessions
from edge.client import new_command_id
from edge.identity import either
from edge.operations import OPERATIONS
from edge.work import WORKERS

PREFIX = "/dashboard"
SESSION_COOKIE = "collections_session"
LOGIN_COOKIE = "collections_login"  # the sign-in form's CSRF token
FLASH_COOKIE = "collections_flash"
CSRF_FIELD = "csrf_token"
LOGIN_SECONDS = 3600  # how long a sign-in form may stay open
TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "web"
READERS = (*STAFF, LEGAL)  # the book and the accounts: the people who work them, and legal (reading)
INBOX_READERS = (LEGAL, *LEADS)  # leads oversee the legal inbox too
WORK_HOME = (COLLECTOR, OPS)  # who lands on My work after signing in (leads on the book, legal on its inbox)


class PageError(Exception):
    """Ends a page early: with `location` a redirect (303), else an HTML error page with this status."""

    def __init__(self, status_code: int, message: str, location: str | None = None) -> None:
        super().__init__(message)
        self.status_code, self.message, self.location = status_code, message, location


# Pages show debtor data: never stored by a browser or a proxy, never framed (clickjacking), and nothing runs or
# styles them but the dashboard's own stylesheet (no script at all, no inline style: an injected tag does nothing).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class PageRoute(APIRoute):
    """Turns PageError and HTTPException into HTML pages (a router cannot register exception handlers on the app,
    and a person should never see a JSON error), and gives every answer the SECURITY_HEADERS. Every router of the
    dashboard uses it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                response = await handle(request)
            except PageError as error:
                if error.location:
                    response = RedirectResponse(error.location, status_code=303)
                else:
                    response = render(request, "error.html", status_code=error.status_code, message=error.message)
            except HTTPException as error:
                response = render(request, "error.html", status_code=error.status_code, message=str(error.detail))
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return page


router = APIRouter(prefix=PREFIX, route_class=PageRoute, include_in_schema=False)


# --- who is signed in ---


@dataclass(frozen=True)
class Viewer:
    """Who is signed in, as their key says (their commands' `by` is the identity's), what they may do; their session
    and its CSRF token."""

    identity: Identity
    session: str
    csrf: str

    @property
    def role(self) -> str:
        return self.identity.role

    @property
    def name(self) -> str:
        return self.identity.name

    @property
    def by(self) -> str:
        return self.identity.by

    def may(self, command: str) -> bool:
        """May send the command of the operations table named so (the pages draw only the forms they may use)."""
        return self.identity.admitted(OPERATIONS[command].roles)

    @property
    def reads_book(self) -> bool:
        return self.identity.admitted(READERS)

    @property
    def reads_inbox(self) -> bool:
        return self.identity.admitted(INBOX_READERS)

    @property
    def works(self) -> bool:
        """Has a work queue (everybody but admin)."""
        return self.identity.admitted(WORKERS)

    @property
    def leads(self) -> bool:
        return self.identity.admitted(LEADS)


async def current_viewer(request: Request) -> Viewer | None:
    """The viewer of the session cookie, resolved once per request; None when there is no open session, or when its
    key no longer resolves (revoked, the person deactivated, a machine key no longer configured)."""
    if hasattr(request.state, "viewer"):
        return request.state.viewer
    sid = request.cookies.get(SESSION_COOKIE)
    session = get_sessions(request).get(sid)
    viewer = None
    if sid and session:
        identity = await identify(request, session.key)
        viewer = Viewer(identity, sid, session.csrf) if identity else None
    request.state.viewer = viewer
    return viewer


def requires(*roles: str) -> Any:
    """A dependency admitting viewers of `roles`: others are sent to sign in, or shown a 403 page. A POST must also
    carry the session's CSRF token (the form is read only once the session is known)."""

    async def signed_in(request: Request) -> Viewer:
        viewer = await current_viewer(request)
        if viewer is None:
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise PageError(303, "sign in first", location=f"{PREFIX}/login?{urlencode({'next': back})}")
        if request.method == "POST" and not _token_matches(await read_form(request), viewer.csrf):
            raise PageError(403, FORGED)
        if not viewer.identity.admitted(roles):
            raise PageError(403, refusal("This page", roles, viewer))
        return viewer

    return Depends(signed_in)


def refusal(what: str, roles: Sequence[str], viewer: Viewer) -> str:
    return f"{what} needs the {either(roles)} role; you are signed in as {viewer.role}."


FORGED = "This form did not come from this dashboard, or its page is out of date: reload the page and try again."


def _token_matches(form: dict[str, str], expected: str | None) -> bool:
    """The form's CSRF token is `expected` (compared in constant time)."""
    token = form.get(CSRF_FIELD, "")
    return bool(token and expected) and hmac.compare_digest(token.encode(), (expected or "").encode())


Reader = Annotated[Viewer, requires(*READERS)]
Lawyer = Annotated[Viewer, requires(LEGAL)]  # as the API's package download
InboxReader = Annotated[Viewer, requires(*INBOX_READERS)]
Anyone = Annotated[Viewer, requires(*ROLES)]
Lead = Annotated[Viewer, requires(*LEADS)]  # the department's figures, experiments and the simulator
Worker = Annotated[Viewer, requires(*WORKERS)]  # My work and its tasks


async def read_form(request: Request) -> dict[str, str]:
    """The form's non-blank text fields, trimmed: an empty optional field is absent, not ''."""
    form = await request.form()
    return {name: value.strip() for name, value in form.items() if isinstance(value, str) and value.strip()}


def safe_next(value: str | None, default: str) -> str:
    """Only paths of the dashboard: a login link must not redirect to another site."""
    if value and (value == PREFIX or value.startswith(f"{PREFIX}/")) and "\\" not in value:
        return value
    return default


def _home(role: str) -> str:
    if role == LEGAL:
        return f"{PREFIX}/legal"
    return f"{PREFIX}/work" if role in WORK_HOME else PREFIX


def _set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


# --- rendering ---


templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
)
templates.env.filters.update(money=money, when=when, local=local, score=score)
templates.env.globals.update(prefix=PREFIX, new_command_id=functools.partial(new_command_id, "web"),
                             min_days_past_due=book.MIN_DAYS_PAST_DUE,
                             max_days_past_due=book.MAX_DAYS_PAST_DUE)  # fmt: skip


@dataclass(frozen=True)
class Flash:
    kind: str  # ok | error
    text: str


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the flash message the previous POST left (shown once, then cleared)."""
    flash_data = _decode(request.cookies.get(FLASH_COOKIE))
    flash = Flash(flash_data["kind"], flash_data["text"]) if {"kind", "text"} <= flash_data.keys() else None
    viewer: Viewer | None = getattr(request.state, "viewer", None)  # resolved by the page's dependency, if any
    home = _home(viewer.role) if viewer else PREFIX
    context = {"csrf_token": viewer.csrf if viewer else ""} | context  # every form of the page carries it
    context |= {"viewer": viewer, "home": home, "flash": flash}
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path=PREFIX)
    return response


def redirect_with(request: Request, location: str, flash: Flash) -> Response:
    """POST/redirect/GET; the message is cut to stay well under a browser's 4 KB cookie limit."""
    response = RedirectResponse(location, status_code=303)
    _set_cookie(response, request, FLASH_COOKIE, _encode({"kind": flash.kind, "text": flash.text[:500]}), 60)
    return response


def _encode(data: dict[str, str]) -> str:
    """Cookie-safe text for any value (names may be Chinese; cookies are ASCII)."""
    return base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode()).decode("ascii")


def _decode(value: str | None) -> dict[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode((value or "").encode("ascii")) or b"{}")
    except (binascii.Error, UnicodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --- signing in and out ---


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    await current_viewer(request)  # the page's header shows who is signed in already, if anybody
    return _login_page(request, safe_next(next, ""))


def _login_page(request: Request, target: str, status_code: int = 200, error: str | None = None) -> Response:
    """The sign-in form. Its CSRF token is also kept in a cookie of its own (there is no session yet), and the POST
    must bring both: another site can make a browser post the form, but not read the token."""
    token = request.cookies.get(LOGIN_COOKIE) or new_token()
    response = render(request, "login.html", status_code, next=target, error=error, csrf_token=token)
    _set_cookie(response, request, LOGIN_COOKIE, token, LOGIN_SECONDS)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await read_form(request)
    key, target = form.get("api_key", ""), safe_next(form.get("next"), "")
    if not _token_matches(form, request.cookies.get(LOGIN_COOKIE)):
        return _login_page(request, target, 403, FORGED)
    identity = await identify(request, key)
    if identity is None:
        return _login_page(request, target, 401, "That key is not known (or it was revoked).")
    sessions = get_sessions(request)
    sessions.close(request.cookies.get(SESSION_COOKIE))  # a new id at every sign-in: none can be planted
    response = RedirectResponse(target or _home(identity.role), status_code=303)
    session_seconds = int(sessions.ttl.total_seconds())
    _set_cookie(response, request, SESSION_COOKIE, sessions.open(key), session_seconds)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request, viewer: Anyone) -> Response:
    """Closes the session on the server: the cookie, wherever it was copied to, no longer signs anybody in."""
    get_sessions(request).close(viewer.session)
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response
