"""The dashboard's sign-in, roles and form handling, without Temporal or a browser: what must hold whatever the
workflows say (no open redirect, the cookie's flags, who may see and do what, a revoked key signed out at once, bad
input shown as a message). The people are hired in the app's store (`tests.staff`)."""

import base64
import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.dashboard import pages
from api.dashboard.signin import CSRF_FIELD, FORGED, SESSION_COOKIE
from domain.account import AccountState
from domain.agencies import Placement
from domain.arrangements import CaseLink
from domain.commands import AgreeInstallmentPlan, ApprovalDecision, InstallmentTerm, LetterDelivery, OfferSettlement
from domain.policy_book import PolicyBook
from domain.rerouting import apply_decision, apply_installment_plan, apply_letter_delivery, apply_settlement, settle
from domain.status import account_status
from store.models import LegalCase
from store.staff import parse_key
from tests.domain.simulate import open_account, simulate
from tests.factories import overdue, payment
from tests.staff import hire, hire_everyone


@pytest.fixture
def web(offline_app: FastAPI) -> TestClient:
    """The app with a store and a client that is never reached: every path tested here stops before Temporal."""
    return TestClient(offline_app, follow_redirects=False)


@pytest.fixture
def keys(offline_app: FastAPI) -> dict[str, str]:
    """One person of each role in the app's store: their keys by role."""
    return hire_everyone(offline_app.state.store)


def sign_in(web: TestClient, key: str, next: str = "") -> httpx.Response:
    """The sign-in form, filled in and posted with its CSRF token, as a browser does (signed in already, the page's
    header carries the session's token first: the sign-in form's is the last)."""
    token = re.findall(rf'name="{CSRF_FIELD}" value="([^"]+)"', web.get("/dashboard/login").text)[-1]
    return web.post("/dashboard/login", data={"api_key": key, "next": next, CSRF_FIELD: token})


def form_token(page: httpx.Response) -> str:
    found = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def post_form(web: TestClient, path: str, data: dict[str, str]) -> httpx.Response:
    """A dashboard form posted with the session's CSRF token (as every page's sign-out form carries it)."""
    return web.post(path, data=data | {CSRF_FIELD: form_token(web.get("/dashboard/legal"))})


def test_signed_out_pages_send_to_the_login_page(web: TestClient) -> None:
    answer = web.get("/dashboard/accounts/ACC-1")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Faccounts%2FACC-1"
    assert 'name="api_key"' in web.get(answer.headers["location"]).text


def test_an_unknown_key_is_refused_and_opens_no_session(web: TestClient, keys: dict[str, str]) -> None:
    key_id, secret = parse_key(keys["supervisor"])  # type: ignore[misc]
    for guess in ("guess", f"ck_{key_id}_{secret[::-1]}"):
        answer = sign_in(web, guess)
        assert answer.status_code == 401
        assert "That key is not known (or it was revoked)." in answer.text
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_the_session_cookie_is_httponly_and_samesite_strict(web: TestClient, keys: dict[str, str]) -> None:
    answer = sign_in(web, keys["supervisor"])
    assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard")
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/dashboard" in cookie


def test_the_session_cookie_is_an_opaque_id_and_signing_out_revokes_it(
    web: TestClient, offline_app: FastAPI, keys: dict[str, str]
) -> None:
    sign_in(web, keys["legal"])
    session = web.cookies[SESSION_COOKIE]
    secret = keys["legal"].split("_", 2)[2]
    assert len(session) >= 43 and secret not in session and secret not in str(base64_variants(session))
    copied = TestClient(offline_app, follow_redirects=False, cookies={SESSION_COOKIE: session})
    assert copied.get("/dashboard/legal").status_code == 200

    assert post_form(web, "/dashboard/logout", {}).headers["location"] == "/dashboard/login"
    assert copied.get("/dashboard/legal").headers["location"] == "/dashboard/login?next=%2Fdashboard%2Flegal"


def base64_variants(value: str) -> list[bytes]:
    """What `value` decodes to, were it base64 (the session cookie once was the key in base64 JSON)."""
    padded = value + "=" * (-len(value) % 4)
    return [base64.urlsafe_b64decode(padded), base64.b64decode(padded.replace("-", "+").replace("_", "/"))]


@pytest.mark.parametrize("token", [None, "", "forged", "session-of-another"])
def test_a_post_without_this_sessions_csrf_token_is_refused(
    web: TestClient, offline_app: FastAPI, keys: dict[str, str], token: str | None
) -> None:
    """The session cookie alone (what a browser attaches to a form posted from another page of the same site) is not
    enough: the write-off never reaches Temporal (whose client here would fail)."""
    other = TestClient(offline_app, follow_redirects=False)
    sign_in(other, keys["supervisor"])
    sign_in(web, keys["supervisor"])
    form = {"reason": "forged", "confirm": "yes", "command_id": "evil-1"}
    if token is not None:
        form[CSRF_FIELD] = form_token(other.get("/dashboard/legal")) if token == "session-of-another" else token
    answer = web.post("/dashboard/accounts/ACC-1/write-off", data=form)
    assert answer.status_code == 403 and FORGED in answer.text
    assert web.post("/dashboard/logout", data={}).status_code == 403  # signing out is a form like any other
    assert web.get("/dashboard/legal").status_code == 200  # still signed in


def test_the_sign_in_form_needs_its_own_token(web: TestClient, keys: dict[str, str]) -> None:
    answer = web.post("/dashboard/login", data={"api_key": keys["supervisor"]})
    assert answer.status_code == 403 and FORGED in answer.text
    assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")
    web.cookies.clear()
    refused = web.post("/dashboard/login", data={"api_key": keys["supervisor"], CSRF_FIELD: form_token(answer)})
    assert refused.status_code == 403  # a token without its cookie (a form copied from another browser)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/dashboard", "/v1/accounts", "/dashboardx"])
def test_login_never_redirects_off_the_dashboard(web: TestClient, keys: dict[str, str], target: str) -> None:
    assert sign_in(web, keys["supervisor"], next=target).headers["location"] == "/dashboard"


def test_a_legal_key_lands_on_the_inbox_and_may_not_act_on_accounts(web: TestClient, keys: dict[str, str]) -> None:
    assert sign_in(web, keys["legal"]).headers["location"] == "/dashboard/legal"
    assert "No case" in web.get("/dashboard/legal").text
    refused = post_form(web, "/dashboard/accounts/ACC-1/promise", {"amount": "1.00"})
    assert refused.status_code == 403
    assert "Promise needs the collector, supervisor, manager or general_manager role; you are signed in as legal" in (
        refused.text
    )


@pytest.mark.parametrize("role", ["ops", "admin"])
def test_ops_and_admin_keys_see_no_page(web: TestClient, keys: dict[str, str], role: str) -> None:
    sign_in(web, keys[role])
    assert web.get("/dashboard").status_code == 403
    assert web.get("/dashboard/legal").status_code == 403


def test_a_collector_sees_the_book_and_may_not_decide(web: TestClient, keys: dict[str, str]) -> None:
    assert sign_in(web, keys["collector"]).headers["location"] == "/dashboard/work"  # My work; the book in the nav
    assert web.get("/dashboard/legal").status_code == 403
    refused = post_form(web, "/dashboard/accounts/ACC-1/write-off", {"reason": "gone", "confirm": "yes"})
    assert refused.status_code == 403
    assert "Write-off needs the supervisor, manager or general_manager role; you are signed in as collector" in (
        refused.text
    )
    refused = post_form(web, "/dashboard/accounts/ACC-1/approve", {"step": "d091", "reason": "ok"})
    assert refused.status_code == 403


def test_a_revoked_key_or_a_deactivated_person_is_signed_out_at_once(
    web: TestClient, offline_app: FastAPI, keys: dict[str, str]
) -> None:
    store = offline_app.state.store
    sign_in(web, keys["legal"])
    assert web.get("/dashboard/legal").status_code == 200
    store.revoke_key(parse_key(keys["legal"])[0])  # type: ignore[index]
    assert web.get("/dashboard/legal").headers["location"] == "/dashboard/login?next=%2Fdashboard%2Flegal"

    sign_in(web, keys["manager"])
    assert web.get("/dashboard/legal").status_code == 200
    store.deactivate("zhao.lei")
    assert web.get("/dashboard/legal").status_code == 303
    assert sign_in(web, keys["manager"]).status_code == 401


def test_a_machine_key_signs_in_as_its_role(web: TestClient) -> None:
    assert sign_in(web, "dev-legal").headers["location"] == "/dashboard/legal"
    assert "legal key · legal" in web.get("/dashboard/legal").text


@pytest.mark.parametrize(
    ("command", "form", "message"),
    [
        ("write-off", {"reason": "gone"}, "write-off: tick the box to confirm. Nothing was sent."),
        ("promise", {"amount": "lots", "currency": "CNY", "promised_date": "2026-12-01"}, "promise: amount"),
        ("pause", {"reason": "r", "until": "2026-12-01T09:00", "timezone": "Mars/Olympus"}, "unknown timezone"),
        ("pause", {"reason": "r", "until": "2026-12-01T09:00", "timezone": "Asia"}, "unknown timezone &#39;Asia&#39;"),
        ("pause", {"reason": "r", "until": "2026-12-01T09:00", "timezone": "Etc"}, "unknown timezone &#39;Etc&#39;"),
        ("pause", {"reason": "r", "until": "2026-12-01T09:00", "timezone": "../etc"}, "unknown timezone"),
        ("approve", {"reason": "ok"}, "approve: step: Field required"),
        (
            "letter-delivery",
            {"event": "posted", "tracking_number": "<b>1", "step": "d031-send_demand_letter"},
            "tracking_number: String should match pattern",
        ),
        ("confirm-balance", {"answer": "maybe"}, "answer: Input should be"),
    ],
)
def test_bad_input_is_a_message_on_the_next_page_and_nothing_is_sent(
    web: TestClient, keys: dict[str, str], command: str, form: dict[str, str], message: str
) -> None:
    sign_in(web, keys["supervisor"])
    answer = post_form(web, f"/dashboard/accounts/ACC-1/{command}", form | {"back": "/dashboard/legal"})
    assert (answer.status_code, answer.headers["location"]) == (303, "/dashboard/legal")
    page = web.get("/dashboard/legal")
    assert 'class="flash error"' in page.text and message in page.text
    assert message not in web.get("/dashboard/legal").text  # shown once


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("min_outstanding=1e200000000", "min_outstanding must be an amount from 0 to 1000000000000000"),
        ("min_outstanding=lots", "min_outstanding is not a number: &#39;lots&#39;"),
        ("min_days_past_due=100000000", "min_days_past_due must be a number of days from -400 to 36500"),
        ("min_days_past_due=9" + "9" * 5000, "min_days_past_due is not a number"),
        ("cursor=AAAA", "invalid cursor"),
    ],
)
def test_a_filter_out_of_bounds_is_a_page_that_says_why(
    web: TestClient, keys: dict[str, str], query: str, message: str
) -> None:
    sign_in(web, keys["collector"])
    answer = web.get(f"/dashboard?{query}")
    assert answer.status_code == 422 and "Filter not applied" in answer.text and message in answer.text


def test_every_answer_is_neither_stored_nor_framed_and_runs_nothing_inline(
    web: TestClient, keys: dict[str, str]
) -> None:
    """Pages with debtor data: Cache-Control no-store, no framing, a CSP with no script and no inline style (the
    pages need none: their one stylesheet is served by the dashboard)."""
    answers = [web.get("/dashboard/login"), web.get("/dashboard/accounts/ACC-1"), sign_in(web, keys["legal"])]
    answers += [web.get("/dashboard/legal"), post_form(web, "/dashboard/accounts/ACC-1/pause", {})]  # a 403 page
    for answer in answers:
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-frame-options"] == "DENY"
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "style-src 'self';" in csp and "frame-ancestors 'none'" in csp
        assert "<script" not in answer.text and " style=" not in answer.text and "<style" not in answer.text
    stylesheet = web.get("/dashboard/dashboard.css")
    assert stylesheet.headers["content-type"].startswith("text/css") and "svg.aging .bar" in stylesheet.text


def test_an_unknown_command_is_a_404_page(web: TestClient, keys: dict[str, str]) -> None:
    sign_in(web, keys["supervisor"])
    answer = post_form(web, "/dashboard/accounts/ACC-1/delete-everything", {})
    assert answer.status_code == 404 and "No such command" in answer.text


def test_only_the_legal_team_downloads_evidence_packages(web: TestClient, keys: dict[str, str]) -> None:
    sign_in(web, keys["supervisor"])
    assert "legal team only" not in web.get("/dashboard/legal").text  # no case, no link
    answer = web.get("/dashboard/legal/cases/CASE-1/package.zip")
    assert answer.status_code == 403 and "needs the legal role" in answer.text


def test_the_evidence_package_is_built_for_the_lawyer_without_calling_the_api(
    web: TestClient, offline_app: FastAPI, keys: dict[str, str]
) -> None:
    """The zip the API's route serves (`api.legal.evidence_package`), under the pages' headers; an unknown case is a
    404 page that says so."""
    case = LegalCase(case_id="CASE-1", account_id="ACC-1", workflow_id="collection-ACC-1", opened_at=datetime.now(UTC),
                     reason="day 105", package='{"contact_log": [], "documents": []}')  # fmt: skip
    offline_app.state.store.open_case(case)
    sign_in(web, keys["legal"])
    answer = web.get("/dashboard/legal/cases/CASE-1/package.zip")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
    assert answer.headers["content-disposition"] == 'attachment; filename="CASE-1.zip"'
    assert answer.headers["cache-control"] == "no-store" and answer.headers["x-frame-options"] == "DENY"
    assert "CASE-1/README.txt" in zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    missing = web.get("/dashboard/legal/cases/CASE-NOPE/package.zip")
    assert missing.status_code == 404 and "could not be fetched: no legal case CASE-NOPE" in missing.text


def test_what_people_type_is_escaped(web: TestClient, offline_app: FastAPI) -> None:
    sign_in(web, hire(offline_app.state.store, "legal", "mallory", name="<script>alert(1)</script>"))
    page = web.get("/dashboard/legal").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def account_page(
    web: TestClient, monkeypatch: pytest.MonkeyPatch, state: AccountState, at: datetime, key: str = "dev-supervisor"
) -> str:
    """The account page of `state` as at `at`, seen by the holder of `key` (a supervisor's machine key by default),
    the status query stubbed out."""

    async def status(client: object, account_id: str) -> object:
        return account_status(state, at)

    monkeypatch.setattr(pages, "account_status", status)
    sign_in(web, key)
    return web.get("/dashboard/accounts/ACC-1").text


def forms_of(page: str) -> set[str]:
    """The commands the page has a form for."""
    return set(re.findall(r'<form[^>]* action="/dashboard/accounts/ACC-1/([a-z-]+)"', page))


def test_each_role_sees_the_forms_it_may_use(
    web: TestClient, monkeypatch: pytest.MonkeyPatch, keys: dict[str, str]
) -> None:
    """Leads see every form, a collector the promise only, legal none (it reads)."""
    start = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), start)
    seen = {role: forms_of(account_page(web, monkeypatch, state, start, keys[role]))
            for role in ("collector", "supervisor", "general_manager", "legal")}  # fmt: skip
    assert seen["supervisor"] == seen["general_manager"] == {"promise", "confirm-balance", "settle", "pause", "resume",
                                                             "write-off"}  # fmt: skip
    assert seen["collector"] == {"promise", "confirm-balance", "settle"} and seen["legal"] == set()


def test_the_account_page_shows_interest_fees_and_what_each_payment_paid(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page from a real status (the commercial policy, a payment on day 40, seen on day 50), the query
    stubbed out."""
    start = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("commercial"), start)
    at = start + timedelta(days=39)
    settle(state, at)
    state.add_payment(payment("PAY-1", "500.00", at=at), at)
    page = account_page(web, monkeypatch, state, at + timedelta(days=10))
    assert "CN¥11,673.55 (principal CN¥11,659.18, interest CN¥14.37, fees CN¥0.00)" in page
    assert "costs CN¥100.00 (fee-formal_demand-CNY); interest CN¥59.18 (INV-1); principal CN¥340.82 (INV-1)" in page
    assert "LPR 1Y 3% × 1.5 a year" in page and "fee-formal_demand-CNY" in page


def test_the_account_page_shows_unapplied_money_and_debtor_conflicts(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: what a supervisor must decide is on the page, not only in the history."""
    start = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), start)
    state.add_payment(payment("PAY-USD", "50.00", currency="USD", at=start), start)
    state.add_invoice(overdue(event_id="evt-2", invoice_id="INV-2", occurred_at=start, name="Other Ltd"), start)
    page = account_page(web, monkeypatch, state, start)
    assert "$50.00 received but paid nothing: a supervisor reviews it" in page
    assert "event evt-2 gives the name as “Other Ltd”; the account keeps “上海明达贸易有限公司”" in page


def test_the_account_page_shows_the_installment_plan(web: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    start = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), start)
    today = state.clock().local_day(start)
    terms = [InstallmentTerm(amount="6000.00", due_date=today + timedelta(days=n)) for n in (5, 20)]
    agree = AgreeInstallmentPlan(command_id="plan-1", by="li.na", currency="CNY", installments=terms)  # as recorded
    apply_installment_plan(state, agree, start)
    page = account_page(web, monkeypatch, state, start)
    assert re.search(r"plan-1 <span class=\"badge active\">active</span>, agreed by li.na", page), page
    assert page.count("CN¥6,000.00") == 2 and "No plan." not in page


def test_the_account_page_of_an_account_not_yet_due_says_when_it_falls_due(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime(2026, 11, 5, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), start, event_type="invoice.issued",
                         due_date=start.date() + timedelta(days=20))  # fmt: skip
    page = account_page(web, monkeypatch, state, start)
    assert '<span class="badge">pre_due</span> · due in 20 days</dd>' in page and "days past due" not in page
    page = account_page(web, monkeypatch, state, start + timedelta(days=19))
    assert '<span class="badge">pre_due</span> · due in 1 day</dd>' in page
    page = account_page(web, monkeypatch, state, start + timedelta(days=23))
    assert "· 3 days past due</dd>" in page


def test_the_account_page_lists_each_letter_and_where_it_is(web: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    start = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), start)
    at = start + timedelta(days=80)
    simulate(state, start, at)
    report = {"by": "mailroom", "tracking_number": "EMS0001CN", "step": "d031-send_demand_letter", "proof_ref": "S-1"}
    for n, event in enumerate(("posted", "delivered")):
        fields = {"command_id": f"ld-{n}", "event": event, "at": start + timedelta(days=31 + 2 * n)}
        apply_letter_delivery(state, LetterDelivery.model_validate(report | fields), at)
    page = account_page(web, monkeypatch, state, at)
    rows = re.findall(r'<tr class="letter (\w+)">\s*<td class="key">([\w-]+)</td>', page)
    assert rows == [("delivered", "d031-send_demand_letter"), ("queued", "d075-send_final_notice")]
    assert "EMS0001CN" in page and "S-1" in page and "queued for posting" in page
    assert "letter-delivery" in forms_of(page)  # the mailroom's tracking number, a delivery or a return
    assert '<option value="d075-send_final_notice">d075-send_final_notice (queued)</option>' in page


def test_the_mailrooms_form_sends_the_letter_delivery_signal_at_now(
    web: TestClient, monkeypatch: pytest.MonkeyPatch, keys: dict[str, str]
) -> None:
    sent: list[tuple[str, str, object]] = []

    async def send(client: object, account_id: str, operation: object, command: object) -> None:
        sent.append((account_id, getattr(operation, "message", ""), command))

    monkeypatch.setattr(pages, "send", send)
    sign_in(web, keys["supervisor"])
    form = {"event": "posted", "tracking_number": "EMS7", "step": "d031-send_demand_letter", "back": "/dashboard/legal"}
    before = datetime.now(UTC)
    assert post_form(web, "/dashboard/accounts/ACC-1/letter-delivery", form).status_code == 303
    [(account, message, command)] = sent
    assert (account, message) == ("ACC-1", "letter_delivery")
    assert isinstance(command, LetterDelivery) and command.by == "wang.fang" and command.at >= before
    assert (command.event, command.tracking_number, command.step) == ("posted", "EMS7", "d031-send_demand_letter")


def test_the_settlement_form_offers_and_the_page_shows_what_was_waived_apart(
    web: TestClient, monkeypatch: pytest.MonkeyPatch, keys: dict[str, str]
) -> None:
    start = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), start)
    at = start + timedelta(days=40)
    terms = OfferSettlement(command_id="s-1", by="li.na", currency="CNY", settle_for=Decimal("9000.00"),
                            expires_on=date(2026, 5, 15), reason="pays this month")  # fmt: skip
    apply_settlement(state, terms, at)
    apply_decision(state, ApprovalDecision(command_id="ok", by="wang.fang", step="settlement-s-1", reason="ok"), at,
                   approve=True)  # fmt: skip
    state.add_payment(payment("PAY-1", "9000.00", at=at + timedelta(days=2)), at + timedelta(days=2))
    settle(state, at + timedelta(days=2))
    page = account_page(web, monkeypatch, state, at + timedelta(days=2))
    section = page.split('<section id="settlements">', 1)[1].split("</section>", 1)[0]
    assert "settled" in section and "pay CN¥9,000.00 of CN¥12,000.00 by 2026-05-15" in section
    assert re.search(
        r'<td class="num">CN¥0\.00</td>\s*<td class="num">CN¥0\.00</td>\s*<td class="num">CN¥3,000\.00</td>', section
    )  # fmt: skip  (interest, fees, principal waived: each apart)

    sent: list[object] = []

    async def send(client: object, account_id: str, operation: object, command: object) -> None:
        sent.append(command)

    monkeypatch.setattr(pages, "send", send)
    form = {"currency": "CNY", "waive_interest": "true", "expires_on": "2026-05-20", "reason": "hardship"}
    assert post_form(web, "/dashboard/accounts/ACC-1/settle", form).status_code == 303
    [command] = sent
    assert isinstance(command, OfferSettlement) and command.by == "supervisor-key"  # the key the page was seen with
    assert (command.waive_interest, command.waive_fees, command.settle_for) == (True, False, None)
    assert command.expires_on == date(2026, 5, 20)


def test_a_draft_waiting_for_the_law_firm_draws_the_form_for_its_answer(
    web: TestClient, monkeypatch: pytest.MonkeyPatch, keys: dict[str, str]
) -> None:
    start = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), start)
    state = simulate(state, start, start + timedelta(days=100), firm_issues=False).state
    page = account_page(web, monkeypatch, state, start + timedelta(days=100), keys["general_manager"])
    assert "confirm-lawyer-letter" in forms_of(page)
    assert '<option value="d091-issue_lawyer_letter">' in page and 'name="licence"' in page


def test_an_unsigned_agreement_is_listed_with_the_form_for_its_signature(
    web: TestClient, monkeypatch: pytest.MonkeyPatch, keys: dict[str, str]
) -> None:
    start = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), start)
    at = start + timedelta(days=40)
    terms = [InstallmentTerm(amount=Decimal("6000.00"), due_date=date(2026, 5, 15) + timedelta(days=30 * n))
             for n in range(2)]  # fmt: skip
    apply_installment_plan(state, AgreeInstallmentPlan(command_id="p-1", by="li.na", currency="CNY",
                                                       installments=terms), at)  # fmt: skip
    page = account_page(web, monkeypatch, state, at, keys["collector"])
    section = page.split('<section id="agreements">', 1)[1].split("</section>", 1)[0]
    assert "agreement-p-1" in section and "installment plan p-1" in section and "not yet" in section
    assert "record-signature" in forms_of(page) and '<option value="agreement-p-1">' in page


def test_the_account_page_shows_its_legal_case_and_its_placements(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
    state = open_account(PolicyBook().for_segment("standard"), start, due_date=start.date() - timedelta(days=45))
    state.placements.append(Placement(placement_id="placement-1", agency_id="example-agency", placed_at=start,
                                      days_past_due=45, placed_amount=Decimal("12000.00"), currency="CNY",
                                      rate=Decimal("0.15")).with_payment(Decimal("2000.00"), start)
                            .recalled(start + timedelta(days=60), "no payment or promise reported in 60 days")
                            .with_complaint("called at night"))  # fmt: skip
    state.legal_case = CaseLink(
        case_id="CASE-1",
        workflow_id="legal-CASE-1",
        stage="enforcement",
        next_deadline=date(2026, 6, 9),
        next_step="review the enforcement with the court",
    )
    page = account_page(web, monkeypatch, state, start + timedelta(days=61))
    assert ('<dd id="legal-case">CASE-1: enforcement; next review the enforcement with the court by 2026-06-09</dd>'
            in page)  # fmt: skip
    [placed] = re.findall(r'<dd class="placement">(.*?)</dd>', page)
    assert "example-agency since 2026-03-11" in placed and "(recalled 2026-05-10" in placed
    assert "collected CN¥2,000.00, commission CN¥300.00 at 0.15; complaint: called at night" in placed
