"""Every route: 401 without a key (or with an unknown one), 403 with a role it does not accept, admitted with each
role it does. The table must name every /v1 and /codec route the app publishes: no new route slips in without a
decision."""

import pytest

from api.app import create_app
from api.auth import LEGAL, OPS, ROLES, SUPERVISOR
from tests.api.conftest import KEYS, Api, serve

pytestmark = pytest.mark.integration

ACCOUNT = "/v1/accounts/NOPE-1"
CASE = "/v1/legal/cases/CASE-NOPE"
ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/v1/events"): (OPS,),
    ("GET", "/v1/accounts"): (SUPERVISOR,),
    ("GET", "/v1/accounts/{account_id}"): (SUPERVISOR,),
    ("POST", "/v1/accounts/{account_id}/payments"): (OPS, SUPERVISOR),
    **{
        ("POST", f"/v1/accounts/{{account_id}}/{command}"): (SUPERVISOR,)
        for command in (
            "promises",
            "installment-plans",
            "disputes",
            "disputes/{dispute_id}/resolution",
            "contact",
            "pause",
            "resume",
            "write-off",
            "cease-communication",
            "override-limitation",
            "approvals/{step}/approve",
            "approvals/{step}/reject",
            "contact-outcomes",
            "bankruptcy",
            "legal-outcome",
        )
    },
    ("GET", "/v1/reports/aging"): (SUPERVISOR,),
    ("GET", "/v1/legal/cases"): (LEGAL,),
    ("GET", "/v1/legal/cases/{case_id}"): (LEGAL,),
    ("GET", "/v1/legal/cases/{case_id}/package.zip"): (LEGAL,),
    ("POST", "/v1/legal/cases/{case_id}/accept"): (LEGAL,),
    ("POST", "/v1/legal/cases/{case_id}/outcome"): (LEGAL,),
    # The Temporal Web UI's codec endpoint: decrypted payloads are debtor data.
    ("POST", "/codec/encode"): (SUPERVISOR, LEGAL),
    ("POST", "/codec/decode"): (SUPERVISOR, LEGAL),
}
ROUTES = sorted(ALLOWED)


def concrete(path: str) -> str:
    return (
        path.replace("{account_id}", "NOPE-1")
        .replace("{dispute_id}", "d-1")
        .replace("{step}", "d091-issue_lawyer_letter")
        .replace("{case_id}", "CASE-NOPE")
    )


def params_of(path: str) -> dict[str, str]:
    """Scope the book's routes to the test's empty task queue: admitted calls stay cheap."""
    return {"task_queue": "tq-none"} if path in ("/v1/accounts", "/v1/reports/aging") else {}


async def test_the_table_names_every_route(api: Api) -> None:
    paths = api.app.openapi()["paths"]
    routes = {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(("/v1", "/codec"))
        for method in operations
    }
    assert routes == set(ALLOWED)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
async def test_keys_and_roles(api: Api, method: str, path: str) -> None:
    url = concrete(path)
    kwargs = {"json": {}, "params": params_of(path)} if method == "POST" else {"params": params_of(path)}

    assert (await api.call(method, url, None, **kwargs)).status_code == 401
    unknown = await api.call(method, url, None, headers={"X-API-Key": "not-a-key"}, **kwargs)
    assert unknown.status_code == 401 and unknown.headers["WWW-Authenticate"] == "ApiKey"
    for role in ROLES:
        response = await api.call(method, url, role, **kwargs)
        if role in ALLOWED[(method, path)]:
            assert response.status_code not in (401, 403), (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json() == {"detail": f"the {role} role may not do this"}


async def test_keys_from_the_environment_replace_the_development_keys(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLLECTIONS_API_KEYS", "k-ops-1=ops, k-ops-2=ops,k-sup=supervisor")
    app = create_app(client=api.client, store=api.app.state.store)
    async with serve(app) as http:
        # 422: admitted, and the empty batch refused.
        for key, expected in (("k-ops-1", 422), ("k-ops-2", 422), ("k-sup", 403), (KEYS[OPS], 401)):
            response = await http.post("/v1/events", headers={"X-API-Key": key}, json=[])
            assert response.status_code == expected, key
