"""The legal inbox over HTTP, on a case the real worker opened: an account 110 days past due, whose lawyer's letter
and litigation handoff the general manager approves through the API (the standard matrix)."""

import io
import zipfile
from pathlib import Path

import pytest

from store.repository import Store
from tests.api.conftest import Api, standard_with_only, utc_today
from tests.polling import eventually

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def legal_steps_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The lawyer's letter and litigation alone: in real time the written demand's 14 days cannot pass (rules 4)."""
    standard_with_only(monkeypatch, tmp_path / "policies", "issue_lawyer_letter", "open_litigation_task")


async def approve(api: Api, account: str, step: str) -> None:
    status = await api.status_until(account, lambda s: [p["step"] for p in s["pending_approvals"]] == [step])
    assert [p["step"] for p in status["pending_approvals"]] == [step], status["history"]
    response = await api.post(
        f"/v1/accounts/{account}/approvals/{step}/approve", "general_manager", json={"reason": "go ahead"}
    )
    assert response.status_code == 200, response.text
    assert any(a["step"] == step and a["state"] == "approved" for a in response.json()["approvals"])


async def firm_issues(api: Api, account: str, step: str = "d091-issue_lawyer_letter") -> dict:
    """The law firm got the draft (a task for legal) and issued the letter: legal records its answer."""
    draft = f"firm-draft-{step}"
    status = await api.status_until(account, lambda s: any(t["key"] == draft for t in s["tasks"]))
    assert any(t["key"] == draft and t["state"] == "open" for t in status["tasks"]), status["history"]
    issued = {"answer": "issued", "lawyer": "王律师", "licence": "1310120001", "issued_on": utc_today().isoformat()}
    response = await api.post(f"/v1/accounts/{account}/lawyer-letters/{step}", "legal", json=issued)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_case_from_handoff_to_outcome(api: Api, store: Store) -> None:
    event = api.event(days_past_due=110)
    assert (await api.post("/v1/events", "ops-key", json=event)).json()[0]["result"] == "started"
    account = event["account_id"]
    await approve(api, account, "d091-issue_lawyer_letter")
    status = await firm_issues(api, account)
    assert [t["state"] for t in status["tasks"] if t["key"] == "firm-draft-d091-issue_lawyer_letter"] == ["done"]
    await approve(api, account, "d105-open_litigation_task")
    await api.status_until(account, lambda s: s["with_legal_since"])
    case_id = f"CASE-{account}-{event['event_id']}"

    response = await api.get("/v1/legal/cases", "legal", params={"state": "open"})
    assert response.status_code == 200
    [case] = [c for c in response.json() if c["account_id"] == account]
    assert (case["case_id"], case["state"], case["workflow_id"]) == (case_id, "open", f"collection-{account}")
    assert (await api.get("/v1/legal/cases", "legal", params={"state": "bogus"})).status_code == 422

    detail = (await api.get(f"/v1/legal/cases/{case_id}", "legal")).json()
    package = detail["package"]
    assert package["case_id"] == case_id and package["account"]["account_id"] == account
    assert package["amounts"]["CNY"]["owed"] == "12000.00"
    letters = [d["filename"] for d in package["documents"]]
    assert letters and all(name.endswith(".pdf") for name in letters)

    response = await api.get(f"/v1/legal/cases/{case_id}/package.zip", "legal")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert f'filename="{case_id}.zip"' in response.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = set(archive.namelist())
        assert {f"{case_id}/case.json", f"{case_id}/contact_log.csv", f"{case_id}/README.txt"} <= files
        assert {f"{case_id}/documents/{name}" for name in letters} <= files
        assert archive.read(f"{case_id}/documents/{letters[0]}").startswith(b"%PDF")

    refused = await api.post(f"/v1/legal/cases/{case_id}/accept", "legal", json={"by": "Lawyer Zhao"})
    assert refused.status_code == 422 and "by comes from your key" in refused.text
    response = await api.post(f"/v1/legal/cases/{case_id}/accept", "legal")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["accepted_by"]) == ("accepted", "zhou.lawyer")
    [handoff] = [t for t in store.tasks(account) if t.kind == "litigation"]  # legal's queue: done once accepted
    assert (handoff.state, handoff.closed_by, handoff.outcome) == ("done", "zhou.lawyer", "case accepted")

    outcome = f"/v1/legal/cases/{case_id}/outcome"
    judgment = await api.post(outcome, "legal", json={"outcome": "judgment", "note": "won"})
    assert judgment.status_code == 422 and "a judgment does not end case" in judgment.json()["detail"]
    steps = f"/v1/legal/cases/{case_id}/steps"
    award = {"step": "judgment", "amount_awarded": "12000.00", "costs_awarded": "300.00", "currency": "CNY"}
    early = await api.post(steps, "legal", json=award)
    assert early.status_code == 422 and "cannot be recorded while the case is to be filed" in early.json()["detail"]
    assert (await api.post(steps, "supervisor", json=award)).status_code == 403
    filed = await api.post(steps, "legal", json={"step": "filed", "route": "lawsuit", "court": "浦东法院"})
    assert filed.status_code == 200, filed.text
    assert (filed.json()["stage"], filed.json()["history"][-1]["by"]) == ("lawsuit filed", "zhou.lawyer")
    won = await api.post(steps, "legal", json=award)
    assert won.json()["stage"] == "judgment served: appeal window"
    assert won.json()["next_step"] == "the appeal window ends: effective unless the debtor acts by then"
    status = await api.status_until(account, lambda s: (s["legal_case"] or {}).get("stage") == "appeal_window")
    assert status["outcome"] is None and status["balances"][0]["fees"] == "300.00"  # the costs: the debtor's
    listed = await eventually(lambda: api.get(f"/v1/legal/cases/{case_id}", "legal"),
                              lambda r: r.json()["stage"] == "judgment served: appeal window")  # fmt: skip
    assert [entry["step"] for entry in listed.json()["history"]] == ["filed", "judgment"]

    response = await api.post(outcome, "legal", json={"outcome": "settled", "note": "paid in court"})
    assert response.status_code == 200, response.text
    assert (response.json()["state"], response.json()["outcome"], response.json()["outcome_by"]) == (
        "closed", "settled", "zhou.lawyer",
    )  # fmt: skip
    final = await api.status_until(account, lambda s: s["outcome"] is not None)
    assert final["outcome"] == "settled"

    again = await api.post(outcome, "legal", json={"outcome": "settled", "note": "paid in court"})
    assert again.status_code == 200 and again.json()["outcome_at"] == response.json()["outcome_at"]
    other = await api.post(outcome, "legal", json={"outcome": "withdrawn"})
    assert other.status_code == 409 and "already closed as settled" in other.json()["detail"]
    late = await api.post(f"/v1/legal/cases/{case_id}/accept", "legal")
    assert late.status_code == 409
    closed = await api.post(steps, "legal", json={"step": "appeal"})
    assert closed.status_code == 422 and "is closed (settled)" in closed.json()["detail"]


async def test_unknown_cases(api: Api) -> None:
    for method, path, body in (
        ("GET", "/v1/legal/cases/CASE-NOPE", None),
        ("GET", "/v1/legal/cases/CASE-NOPE/package.zip", None),
        ("POST", "/v1/legal/cases/CASE-NOPE/accept", {}),
        ("POST", "/v1/legal/cases/CASE-NOPE/outcome", {"outcome": "settled"}),
        ("POST", "/v1/legal/cases/CASE-NOPE/steps", {"step": "appeal"}),
    ):
        response = await api.call(method, path, "legal", json=body)
        assert response.status_code == 404, (path, response.text)
    assert (await api.get("/v1/legal/cases", "legal")).json() == []
