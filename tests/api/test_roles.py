"""Every route and every role: 401 without a key (or with an unknown, revoked or deactivated one), 403 with a role the
route does not accept, admitted with each role it does; people's keys and machine keys alike. The table must name
every /v1 and /codec route the app publishes: no new route slips in without a decision."""

import pytest

from api.app import create_app
from api.auth import ADMIN, LEADS, LEGAL, OPS, ROLES, STAFF
from edge.identity import AGENCY
from edge.operations import OPERATIONS
from store.staff import parse_key
from tests.api.conftest import MACHINE_KEYS, Api, serve
from tests.staff import hire

pytestmark = pytest.mark.integration

COMMANDS = {f"/v1/accounts/{{account_id}}/{operation.route}": operation.roles
            for operation in OPERATIONS.values() if operation.route}  # fmt: skip
WORKERS = tuple(role for role in ROLES if role != ADMIN)
ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/v1/events"): (OPS,),
    ("POST", "/v1/deliveries"): (OPS,),  # the courier's webhook
    ("GET", "/v1/accounts"): (*STAFF, LEGAL),
    ("GET", "/v1/accounts/{account_id}"): (*STAFF, LEGAL),
    ("POST", "/v1/accounts/{account_id}/payments"): (OPS, *LEADS),
    **{("POST", path): roles for path, roles in COMMANDS.items()},
    ("GET", "/v1/reports/aging"): LEADS,
    ("GET", "/v1/reports/kpis"): LEADS,
    ("GET", "/v1/reports/arms"): LEADS,
    ("GET", "/v1/reports/trend"): LEADS,
    ("GET", "/v1/exports/{what}"): LEADS,
    ("POST", "/v1/simulations"): LEADS,
    ("GET", "/v1/legal/cases"): (LEGAL,),
    ("GET", "/v1/legal/cases/{case_id}"): (LEGAL,),
    ("GET", "/v1/legal/cases/{case_id}/package.zip"): (LEGAL,),
    ("POST", "/v1/legal/cases/{case_id}/accept"): (LEGAL,),
    ("POST", "/v1/legal/cases/{case_id}/outcome"): (LEGAL,),
    ("POST", "/v1/legal/cases/{case_id}/steps"): (LEGAL,),
    ("GET", "/v1/me"): ROLES,
    # A collection agency's people: the accounts placed with their agency only; the leads read statements.
    ("GET", "/v1/agency/accounts"): (AGENCY,),
    ("POST", "/v1/agency/accounts/{account_id}/reports"): (AGENCY,),
    ("POST", "/v1/agency/accounts/{account_id}/payments"): (AGENCY,),
    ("GET", "/v1/agencies/{agency_id}/statements/{month}"): LEADS,
    ("GET", "/v1/agencies/performance"): LEADS,
    # The work queue: everyone who works tasks (not the admin); leads reassign.
    **{
        (method, f"/v1/tasks{path}"): WORKERS
        for method, path in (
            ("GET", ""),
            ("GET", "/{task_id}"),
            ("POST", "/{task_id}/claim"),
            ("POST", "/{task_id}/release"),
            ("POST", "/{task_id}/complete"),
        )
    },
    ("POST", "/v1/tasks/{task_id}/reassign"): LEADS,
    ("POST", "/v1/accounts/{account_id}/owner"): LEADS,
    ("GET", "/v1/staff"): (ADMIN, *LEADS),
    # The Temporal Web UI's codec endpoint: decrypted payloads are debtor data.
    ("POST", "/codec/encode"): (*LEADS, LEGAL),
    ("POST", "/codec/decode"): (*LEADS, LEGAL),
}
ROUTES = sorted(ALLOWED)
# What the brief of each command group says, spelled out (the table above reads the operations' own roles).
WORK = ("promises", "installment-plans", "disputes", "contact", "contact-outcomes", "contacts", "balance-confirmation",
        "settlements", "placements/complaints")  # fmt: skip
DECISIONS = ("disputes/{dispute_id}/resolution", "pause", "resume", "cease-communication", "override-limitation",
             "write-off", "bankruptcy", "approvals/{step}/approve", "approvals/{step}/reject", "placements",
             "placements/recall")  # fmt: skip
EXPECTED_COMMAND_ROLES = {
    **dict.fromkeys(WORK, STAFF),
    **dict.fromkeys(DECISIONS, LEADS),
    "legal-outcome": (LEGAL, *LEADS),
    "lawyer-letters/{step}": (LEGAL, *LEADS),  # the law firm's answer, recorded by legal
    "agreements/{agreement_id}/signature": (OPS, *STAFF),  # the mailroom receives signed copies, staff too
    "letters": (OPS, *STAFF),  # the mailroom (a machine key) and people reading the courier's site
    "tasks/{task}/completion": (*STAFF, LEGAL, OPS),  # whoever works tasks: order locks are ops', claims legal's
}


def concrete(path: str) -> str:
    return (
        path.replace("{account_id}", "NOPE-1")
        .replace("{dispute_id}", "d-1")
        .replace("{step}", "d091-issue_lawyer_letter")
        .replace("{case_id}", "CASE-NOPE")
        .replace("{agreement_id}", "agreement-nope")
        .replace("{task_id}", "999999")
        .replace("{task}", "d035-create_call_task")
        .replace("{agency_id}", "example-agency")
        .replace("{month}", "2026-12")
        .replace("{what}", "contacts")
    )


def params_of(path: str) -> dict[str, str]:
    """Scope the book's routes to the test's empty task queue: admitted calls stay cheap."""
    return {"task_queue": "tq-none"} if path in ("/v1/accounts", "/v1/reports/aging") else {}


SMALL_BODIES = {"/v1/simulations": {"accounts": 10, "runs": 1, "days": 5}}  # the default one runs for a minute


def kwargs_of(method: str, path: str) -> dict:
    if method == "POST":
        return {"json": SMALL_BODIES.get(path, {}), "params": params_of(path)}
    return {"params": params_of(path)}


async def test_the_table_names_every_route(api: Api) -> None:
    paths = api.app.openapi()["paths"]
    routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(("/v1", "/codec"))
        for method in operations
    }
    assert routes == set(ALLOWED)


def test_the_commands_roles_are_the_ones_decided() -> None:
    assert {path.removeprefix("/v1/accounts/{account_id}/"): roles for path, roles in COMMANDS.items()} == (
        EXPECTED_COMMAND_ROLES
    )


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_keys_and_roles(api: Api, method: str, path: str) -> None:
    url, kwargs = concrete(path), kwargs_of(method, path)

    assert (await api.call(method, url, None, **kwargs)).status_code == 401
    unknown = await api.call(method, url, None, headers={"X-API-Key": "not-a-key"}, **kwargs)
    assert unknown.status_code == 401 and unknown.headers["WWW-Authenticate"] == "ApiKey"
    callers = [*ROLES, *(f"{role}-key" for role in MACHINE_KEYS)]  # every person, and the machine keys
    for caller in callers:
        role = caller.removesuffix("-key")
        response = await api.call(method, url, caller, **kwargs)
        if role in ALLOWED[(method, path)]:
            assert response.status_code not in (401, 403), (caller, response.text)
        else:
            assert response.status_code == 403, (caller, response.text)
            assert response.json() == {"detail": f"the {role} role may not do this"}


async def test_a_revoked_key_and_a_deactivated_person_are_refused_at_once(api: Api) -> None:
    store = api.app.state.store
    key, other = hire(store, "supervisor", "acting.lead"), store.issue_key("acting.lead")
    assert (await api.get("/v1/me", headers={"X-API-Key": key}, role=None)).status_code == 200

    store.revoke_key(parse_key(key)[0])  # type: ignore[index]
    assert (await api.get("/v1/me", headers={"X-API-Key": key}, role=None)).status_code == 401
    assert (await api.get("/v1/me", headers={"X-API-Key": other}, role=None)).status_code == 200
    store.deactivate("acting.lead")
    refused = await api.post("/v1/accounts/NOPE-1/write-off", None, headers={"X-API-Key": other}, json={"reason": "x"})
    assert refused.status_code == 401


async def test_keys_from_the_environment_replace_the_development_keys(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLECTIONS_API_KEYS", "k-ops-1=ops, k-ops-2=ops,k-sup=supervisor")
    app = create_app(client=api.client, store=api.app.state.store)
    async with serve(app) as http:
        # 422: admitted, and the empty batch refused. People's keys still work beside the machine keys.
        for key, expected in (("k-ops-1", 422), ("k-ops-2", 422), ("k-sup", 403), (MACHINE_KEYS[OPS], 401),
                              (api.keys[OPS], 422), (api.keys[LEGAL], 403)):  # fmt: skip
            response = await http.post("/v1/events", headers={"X-API-Key": key}, json=[])
            assert response.status_code == expected, key
