"""Server-rendered pages for supervisors and the legal team: the book, one account, the legal inbox.

Plain HTML forms, no JavaScript and no inline style (the pages' CSP allows neither: see SECURITY_HEADERS). Every
form POSTs and is redirected back (POST/redirect/GET), with the outcome carried to the next page in a one-shot flash
cookie.

Sign-in with an API key opens a server-side session (`api.sessions`): the browser holds only its opaque random id,
in an HttpOnly, SameSite=Strict cookie (Secure over https), and signing out closes it, so a copied cookie stops
working. SameSite does not stop a page of the same site (another port of the host, a sibling subdomain) from posting
a form with the cookie attached, so every form also carries the session's CSRF token and every POST is refused (403)
without it; the sign-in form carries a token of its own, kept in a cookie until there is a session. Each form also
carries a command id made when it was drawn, so submitting it twice applies the command once (the workflow's own
idempotency).
"""

import asyncio
import base64
import binascii
import functools
import hmac
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, TypeVar
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo, available_timezones

import httpx
import jinja2
from babel.numbers import format_currency
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from pydantic import ValidationError
from temporalio.client import Client

import book
from activities.rendering import STAFF_LOCALE, babel_locale
from api.auth import HEADER, LEGAL, ROLES, SUPERVISOR, role_of
from api.errors import temporal_errors
from api.sessions import new_token
from api.state import get_client, get_sessions, get_settings, get_store
from domain.aging import AgingReport
from domain.rerouting import CommandConflict
from domain.status import AccountStatus
from workflows.client import new_command_id, query_status, send
from workflows.operations import OPERATIONS, Operation

PREFIX = "/dashboard"
SESSION_COOKIE = "collections_session"
LOGIN_COOKIE = "collections_login"  # the sign-in form's CSRF token
FLASH_COOKIE = "collections_flash"
CSRF_FIELD = "csrf_token"
LOGIN_SECONDS = 3600  # how long a sign-in form may stay open
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"
T = TypeVar("T")


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


class _PageRoute(APIRoute):
    """Turns PageError and HTTPException into HTML pages (a router cannot register exception handlers on the app,
    and a person should never see a JSON error), and gives every answer the SECURITY_HEADERS."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
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


router = APIRouter(prefix=PREFIX, route_class=_PageRoute, include_in_schema=False)


# --- sign-in ---


@dataclass(frozen=True)
class Viewer:
    """Who is signed in: the key's role, and the name they gave, recorded as `by` on their commands; their session
    and its CSRF token."""

    key: str
    role: str
    name: str
    session: str
    csrf: str

    @property
    def by(self) -> str:
        return f"{self.name} ({self.role}, dashboard)"


def _encode(data: dict[str, str]) -> str:
    """Cookie-safe text for any value (names may be Chinese; cookies are ASCII)."""
    return base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode()).decode("ascii")


def _decode(value: str | None) -> dict[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode((value or "").encode("ascii")) or b"{}")
    except (binascii.Error, UnicodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def current_viewer(request: Request) -> Viewer | None:
    """The viewer of the session cookie; None when there is no open session, or when its key no longer has a role."""
    sid = request.cookies.get(SESSION_COOKIE)
    session = get_sessions(request).get(sid)
    if sid is None or session is None:
        return None
    role = role_of(session.key, getattr(request.app.state, "api_keys", None))
    if role is None:
        return None
    return Viewer(key=session.key, role=role, name=session.name or role, session=sid, csrf=session.csrf)


def requires(*roles: str) -> Any:
    """A dependency admitting viewers of `roles`: others are sent to sign in, or shown a 403 page. A POST must also
    carry the session's CSRF token (the form is read only once the session is known)."""

    async def signed_in(request: Request) -> Viewer:
        viewer = current_viewer(request)
        if viewer is None:
            back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise PageError(303, "sign in first", location=f"{PREFIX}/login?{urlencode({'next': back})}")
        if request.method == "POST" and not _token_matches(await _form(request), viewer.csrf):
            raise PageError(403, FORGED)
        if viewer.role not in roles:
            needed = " or ".join(roles)
            raise PageError(403, f"This page needs the {needed} role; you are signed in as {viewer.role}.")
        return viewer

    return Depends(signed_in)


FORGED = "This form did not come from this dashboard, or its page is out of date: reload the page and try again."


def _token_matches(form: dict[str, str], expected: str | None) -> bool:
    """The form's CSRF token is `expected` (compared in constant time)."""
    token = form.get(CSRF_FIELD, "")
    return bool(token and expected) and hmac.compare_digest(token.encode(), (expected or "").encode())


Supervisor = Annotated[Viewer, requires(SUPERVISOR)]
Lawyer = Annotated[Viewer, requires(LEGAL)]  # as the API's package download
LegalReader = Annotated[Viewer, requires(LEGAL, SUPERVISOR)]  # supervisors oversee the inbox too
Anyone = Annotated[Viewer, requires(*ROLES)]


def _safe_next(value: str | None, default: str) -> str:
    """Only paths of the dashboard: a login link must not redirect to another site."""
    if value and (value == PREFIX or value.startswith(f"{PREFIX}/")) and "\\" not in value:
        return value
    return default


def _home(role: str) -> str:
    return f"{PREFIX}/legal" if role == LEGAL else PREFIX


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


STYLESHEET = (TEMPLATES / "dashboard.css").read_text(encoding="utf-8")


@router.get("/dashboard.css")
async def stylesheet() -> Response:
    """The pages' styles (no debtor data: a browser may keep them a few minutes)."""
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=300"})


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> Response:
    return _login_page(request, _safe_next(next, ""))


def _login_page(request: Request, target: str, status_code: int = 200, error: str | None = None) -> Response:
    """The sign-in form. Its CSRF token is also kept in a cookie of its own (there is no session yet), and the POST
    must bring both: another site can make a browser post the form, but not read the token."""
    token = request.cookies.get(LOGIN_COOKIE) or new_token()
    response = render(request, "login.html", status_code, next=target, error=error, csrf_token=token)
    _set_cookie(response, request, LOGIN_COOKIE, token, LOGIN_SECONDS)
    return response


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    key, name, target = form.get("api_key", ""), form.get("name", ""), _safe_next(form.get("next"), "")
    if not _token_matches(form, request.cookies.get(LOGIN_COOKIE)):
        return _login_page(request, target, 403, FORGED)
    role = role_of(key, getattr(request.app.state, "api_keys", None))
    if role is None:
        return _login_page(request, target, 401, "That API key is not known.")
    sessions = get_sessions(request)
    sessions.close(request.cookies.get(SESSION_COOKIE))  # a new id at every sign-in: none can be planted
    response = RedirectResponse(target or _home(role), status_code=303)
    session_seconds = int(sessions.ttl.total_seconds())
    _set_cookie(response, request, SESSION_COOKIE, sessions.open(key, name[:100]), session_seconds)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


@router.post("/logout")
async def logout(request: Request, viewer: Anyone) -> Response:
    """Closes the session on the server: the cookie, wherever it was copied to, no longer signs anybody in."""
    get_sessions(request).close(viewer.session)
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# --- rendering ---


def money(amount: Decimal | float | int, currency: str) -> str:
    """Amounts as a supervisor reads them (Babel, the staff locale). A multi-currency row's key ("CNY,USD") is
    not a currency: shown plainly."""
    if len(currency) != 3:
        return f"{Decimal(str(amount)):,} {currency}".strip()
    return format_currency(Decimal(str(amount)), currency, locale=babel_locale(STAFF_LOCALE))


def when(at: datetime | None, zone: str | None = None) -> str:
    """UTC, and the debtor's local time when their timezone is known."""
    if at is None:
        return "-"
    utc = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if not zone:
        return utc
    return f"{at.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone} ({utc})"


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    undefined=jinja2.StrictUndefined,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["money"] = money
ENV.filters["when"] = when
ENV.globals.update(prefix=PREFIX, new_command_id=functools.partial(new_command_id, "web"),
                   max_days_past_due=book.MAX_DAYS_PAST_DUE)  # fmt: skip


@dataclass(frozen=True)
class Flash:
    kind: str  # ok | error
    text: str


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the flash message the previous POST left (shown once, then cleared)."""
    flash_data = _decode(request.cookies.get(FLASH_COOKIE))
    flash = Flash(flash_data["kind"], flash_data["text"]) if {"kind", "text"} <= flash_data.keys() else None
    viewer = current_viewer(request)
    home = _home(viewer.role) if viewer else PREFIX
    context = {"csrf_token": viewer.csrf if viewer else ""} | context  # every form of the page carries it
    html = ENV.get_template(template).render(viewer=viewer, home=home, flash=flash, **context)
    response = HTMLResponse(html, status_code=status_code)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path=PREFIX)
    return response


def redirect_with(request: Request, location: str, flash: Flash) -> Response:
    """POST/redirect/GET; the message is cut to stay well under a browser's 4 KB cookie limit."""
    response = RedirectResponse(location, status_code=303)
    _set_cookie(response, request, FLASH_COOKIE, _encode({"kind": flash.kind, "text": flash.text[:500]}), 60)
    return response


async def _form(request: Request) -> dict[str, str]:
    """The form's non-blank text fields, trimmed: an empty optional field is absent, not ''."""
    form = await request.form()
    return {name: value.strip() for name, value in form.items() if isinstance(value, str) and value.strip()}


# --- reading accounts ---


async def account_status(client: Client, account_id: str) -> AccountStatus:
    """The account's exact, current status (its `status` query); Temporal's errors become error pages."""
    with temporal_errors(account_id):
        return await query_status(client, account_id)


async def statuses(client: Client, account_ids: Iterable[str]) -> list[AccountStatus]:
    """Statuses of several accounts at once. One that cannot be read (closed a moment ago, no worker) is left
    out rather than failing the whole page."""
    found = await asyncio.gather(*(account_status(client, a) for a in account_ids), return_exceptions=True)
    return [status for status in found if isinstance(status, AccountStatus)]


def _book_filters(request: Request, cursor: str | None) -> book.Filters:
    """The deployment's book (its task queue), narrowed by the overview's filter form. Every value is checked
    against the book's bounds before Temporal is asked: a bad one is a 422 page that says why."""
    params = {name: value.strip() for name, value in request.query_params.items() if value.strip()}
    try:
        filters = book.Filters(
            stage=params.get("stage"),
            segment=params.get("segment"),
            min_outstanding=_number(params, "min_outstanding", Decimal),
            min_days_past_due=_number(params, "min_days_past_due", int),
            pending_approval=True if "pending_approval" in params else None,
            include_closed="include_closed" in params,
            stuck="stuck" in params,
            task_queue=get_settings(request).task_queue,
        )
        book.to_query(filters)
        book.decode_cursor(cursor, filters)
    except ValueError as error:
        raise PageError(422, f"Filter not applied: {error}.") from error
    return filters


def _number(params: dict[str, str], name: str, kind: Callable[[str], T]) -> T | None:
    if name not in params:
        return None
    try:
        return kind(params[name])
    except (ArithmeticError, ValueError):  # Decimal's InvalidOperation is an ArithmeticError
        raise ValueError(f"{name} is not a number: {params[name][:40]!r}") from None


async def _list(
    client: Client, filters: book.Filters, cursor: str | None = None
) -> tuple[list[book.AccountRow], str | None]:
    try:
        return await book.list_accounts(client, filters, cursor=cursor)
    except ValueError as error:  # a filter value or cursor that cannot be put in a visibility query
        raise PageError(422, str(error)) from error


@dataclass(frozen=True)
class Bar:
    """One bar of an aging chart, laid out in SVG units."""

    bucket: str
    count: int
    amount: Decimal
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class AgingChart:
    """One currency's aging as bars: heights in proportion to that currency's largest bucket."""

    currency: str
    bars: list[Bar]

    PLOT, BAR, GAP, TOP = 140, 100, 20, 34  # plot height, bar width, gap, room above for the amounts

    @classmethod
    def of(cls, report: AgingReport) -> list["AgingChart"]:
        return [cls._one(report, currency) for currency in report.buckets]

    @classmethod
    def _one(cls, report: AgingReport, currency: str) -> "AgingChart":
        tallies = [report.buckets[currency][name] for name in report.bucket_names]
        largest = max(t.amount for t in tallies) or Decimal(1)
        bars = []
        for index, (name, tally) in enumerate(zip(report.bucket_names, tallies, strict=True)):
            height = max(int(cls.PLOT * tally.amount / largest), 1 if tally.amount > 0 else 0)
            x = cls.GAP + index * (cls.BAR + cls.GAP)
            bars.append(Bar(name, tally.count, tally.amount, x, cls.TOP + cls.PLOT - height, height))
        return cls(currency, bars)

    @property
    def baseline(self) -> int:
        return self.TOP + self.PLOT

    @property
    def width(self) -> int:
        return self.GAP + len(self.bars) * (self.BAR + self.GAP)

    @property
    def height(self) -> int:
        return self.baseline + 44  # two lines of labels under the bars


@dataclass(frozen=True)
class OpenDispute:
    account_id: str
    dispute_id: str
    about: str
    reason: str
    opened_by: str
    opened_at: datetime


def open_disputes(found: Iterable[AccountStatus]) -> list[OpenDispute]:
    """The open disputes among these statuses, each account once."""
    accounts = {status.account_id: status for status in found}
    return [
        OpenDispute(
            s.account_id, d.dispute_id, ", ".join(d.invoice_ids) or "whole balance", d.reason, d.opened_by, d.opened_at
        )
        for s in accounts.values()
        for d in s.disputes
        if d.state == "open"
    ]


# --- pages ---


@router.get("")
async def overview(request: Request, viewer: Supervisor, cursor: str | None = None) -> Response:
    """The book: aging per currency (chart and per stage), one page of accounts, approvals waiting, open disputes.

    Lists come from visibility (a second or so behind); approvals and disputes from the listed accounts' status
    queries. Open disputes are those of accounts in the `disputed` stage (the whole balance contested) or among those
    awaiting approval: a partial dispute on another account shows on its own page only."""
    client = get_client(request)
    filters = _book_filters(request, cursor)
    queue = filters.task_queue
    report, (rows, next_cursor), (pending, _), (disputed, _), (stuck, _) = await asyncio.gather(
        book.aging(client, filters=book.Filters(task_queue=queue)),
        _list(client, filters, cursor),
        _list(client, book.Filters(pending_approval=True, task_queue=queue)),
        _list(client, book.Filters(stage="disputed", task_queue=queue)),
        _list(client, book.Filters(stuck=True, task_queue=queue)),
    )
    waiting, contested = await asyncio.gather(
        statuses(client, [row.account_id for row in pending]), statuses(client, [row.account_id for row in disputed])
    )
    params = {name: value for name, value in request.query_params.items() if name != "cursor"}
    return render(
        request,
        "overview.html",
        report=report,
        charts=AgingChart.of(report),
        rows=rows,
        params=params,
        next_page=f"{PREFIX}?{urlencode(params | {'cursor': next_cursor})}" if next_cursor else None,
        stuck=stuck,
        waiting=[status for status in waiting if status.pending_approvals],
        disputes=open_disputes([*waiting, *contested]),
    )


@router.get("/accounts/{account_id}")
async def account(request: Request, account_id: str, viewer: Supervisor) -> Response:
    """One account as its status query tells it: timeline, money, arrangements, and the forms to act on it."""
    status = await account_status(get_client(request), account_id)
    pending = {approval.step: approval for approval in status.pending_approvals}
    return render(request, "account.html", status=status, pending=pending)


FORMS = {name: operation for name, operation in OPERATIONS.items() if operation.form}  # the commands with a form


@router.post("/accounts/{account_id}/{name}")
async def command(request: Request, account_id: str, name: str, viewer: Supervisor) -> Response:
    """Send one command and go back to the page the form was on, with the outcome as the flash message."""
    operation = FORMS.get(name)
    if operation is None:
        raise PageError(404, f"No such command: {name}.")
    form = await _form(request)
    back = _safe_next(form.get("back"), f"{PREFIX}/accounts/{account_id}")
    flash = await submit_form(
        get_client(request), account_id, f"{name} {form.get('step', '')}".strip(), operation, form, viewer
    )
    return redirect_with(request, back, flash)


async def submit_form(
    client: Client, account_id: str, what: str, operation: Operation, form: dict[str, str], viewer: Viewer
) -> Flash:
    """Validate the form into the command and execute the update. Every refusal (bad input, the workflow's
    validator, no worker) becomes a readable message, never an error page."""
    if operation.confirm and form.get("confirm") != "yes":
        return Flash("error", f"{what}: tick the box to confirm. Nothing was sent.")
    try:
        fields = _localized(form) | {"command_id": form.get("command_id") or new_command_id("web"), "by": viewer.by}
        command = operation.model.model_validate(fields)
    except ValidationError as error:
        return Flash("error", f"{what}: {_explain(error)}. Nothing was sent.")
    except ValueError as error:
        return Flash("error", f"{what}: {error}. Nothing was sent.")
    try:
        with temporal_errors(account_id, command.command_id):
            await send(client, account_id, operation, command)
    except CommandConflict as conflict:
        return Flash("error", f"{what} not done: {conflict}")
    except HTTPException as error:  # the validator's reason, a closed account, no worker in time
        return Flash("error", f"{what} not done: {error.detail}")
    return Flash("ok", f"{what} accepted (id {command.command_id}).")


def _localized(form: dict[str, str]) -> dict[str, str]:
    """A datetime-local field (`until`) carries no zone: it is read in the zone the form names, the debtor's."""
    if "until" not in form:
        return form
    try:
        at = datetime.fromisoformat(form["until"])
    except ValueError:
        return form  # the model's validation explains it
    if at.tzinfo is not None:
        return form
    name = form.get("timezone", "UTC")
    if name not in _zone_names():  # ZoneInfo("Asia") is a folder of the database: IsADirectoryError, once a 500
        raise ValueError(f"unknown timezone {name[:60]!r} (expected an IANA name such as Asia/Shanghai)")
    return form | {"until": at.replace(tzinfo=ZoneInfo(name)).isoformat()}


_zone_names = functools.cache(available_timezones)  # the tz database's names (it reads the folders once)


def _explain(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False))


CASE_STATES = ("open", "accepted", "closed")


@router.get("/legal")
async def legal_inbox(request: Request, viewer: LegalReader, state: str | None = None) -> Response:
    """The cases handed to legal, oldest first, with their evidence packages."""
    if state not in (None, *CASE_STATES):
        raise PageError(400, f"Unknown case state {state!r}.")
    cases = await asyncio.to_thread(get_store(request).cases, state)
    return render(request, "legal.html", cases=cases, state=state, states=CASE_STATES)


@router.get("/legal/cases/{case_id}/package.zip")
async def package(request: Request, case_id: str, viewer: Lawyer) -> Response:
    """The API's evidence package, fetched with the viewer's key: a browser link cannot send the API key header."""
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as api:
        answer = await api.get(f"/v1/legal/cases/{quote(case_id, safe='')}/package.zip", headers={HEADER: viewer.key})
    if answer.status_code != 200:
        raise PageError(answer.status_code, f"The package could not be fetched: {_detail(answer)}")
    disposition = answer.headers.get("content-disposition", f'attachment; filename="{case_id}.zip"')
    return Response(answer.content, media_type="application/zip", headers={"Content-Disposition": disposition})


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", answer.text))
    except ValueError:
        return answer.text[:200]
