"""The work queue over HTTP, against the real worker: the call task the ladder gives reaches the collector's queue,
is claimed and worked to a promise, and the account and the queue both show it done."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from store.repository import Store
from tests.api.conftest import Api, standard_with_only
from tests.polling import eventually
from tests.staff import hire

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def calls_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The ladder's call task alone: a late entrant would get the demand letter first (rules 4), on a working day."""
    standard_with_only(monkeypatch, tmp_path / "policies", "create_call_task")


def daytime_zone() -> str:
    """A zone where it is about noon now: calls are allowed there whatever the hour of the test run."""
    offset = 12 - datetime.now(UTC).hour  # local = UTC + offset
    offset = max(-12, min(14, offset))
    return "UTC" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"  # Etc/GMT-8 is UTC+8


async def call_task(api: Api, account: str) -> dict:
    async def mine() -> list[dict]:
        response = await api.get("/v1/tasks", "collector", params={"account_id": account})
        assert response.status_code == 200, response.text
        return response.json()["tasks"]

    tasks = await eventually(mine, lambda rows: any(t["kind"] == "collector_call" for t in rows), timeout=60)
    return next(t for t in tasks if t["kind"] == "collector_call")


async def test_a_collector_works_a_call_task_to_a_promise(api: Api) -> None:
    account = await api.open_account(days_past_due=35, timezone=daytime_zone(), amount="8000.00")
    task = await call_task(api, account)
    # The account had no owner: it went to the collector with the fewest open tasks (the only one here), who holds it.
    assert (task["pool"], task["assignee"], task["step"]) == ("collector", "li.na", "d035-create_call_task")
    assert task["priority"] == pytest.approx(8000 * (1 + 35 / 30)) and task["sla"] == "on_time"

    assert (await api.get("/v1/tasks", "supervisor", params={"account_id": account})).json()["tasks"] == []
    assert (await api.get("/v1/tasks", "collector", params={"scope": "all"})).status_code == 403
    everything = await api.get("/v1/tasks", "supervisor", params={"scope": "all", "account_id": account})
    assert [t["id"] for t in everything.json()["tasks"] if t["kind"] == "collector_call"] == [task["id"]]

    claimed = await api.post(f"/v1/tasks/{task['id']}/claim", "collector")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "li.na"
    taken = await api.post(f"/v1/tasks/{task['id']}/claim", "manager")
    assert taken.status_code == 409 and "held by li.na" in taken.json()["detail"]

    promised = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    promise = {"amount": "99999.00", "currency": "CNY", "promised_date": promised}
    too_much = {"contact": {"channel": "call", "result": "reached", "promise": promise}}
    refused = await api.post(f"/v1/tasks/{task['id']}/complete", "collector", json=too_much)
    assert refused.status_code == 422 and "more than the balance" in refused.json()["detail"]
    form = {"contact": {"channel": "call", "result": "reached", "duration_minutes": 5, "notes": "pays on the 20th",
                        "promise": {"amount": "8000.00", "currency": "CNY", "promised_date": promised}}}  # fmt: skip
    done = await api.post(f"/v1/tasks/{task['id']}/complete", "collector", json=form)
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["closed_by"]) == ("done", "li.na")

    status = await api.status(account)
    assert [(p["amount"], p["taken_by"]) for p in status["promises"]] == [("8000.00", "li.na")]
    assert [(c["channel"], c["result"], c["by"]) for c in status["contacts"]] == [("call", "reached", "li.na")]
    again = await api.post(f"/v1/tasks/{task['id']}/complete", "collector", json=form)
    assert again.status_code == 422 and "already done" in again.json()["detail"]


async def test_a_lead_gives_an_account_to_another_collector_and_it_is_audited(api: Api, store: Store) -> None:
    account = await api.open_account(days_past_due=35, timezone=daytime_zone())
    await call_task(api, account)
    hire(store, "collector", "wu.bo", name="Wu Bo")
    body = {"to": "wu.bo"}
    assert (await api.post(f"/v1/accounts/{account}/owner", "collector", json=body)).status_code == 403
    refused = await api.post(f"/v1/accounts/{account}/owner", "supervisor", json={"to": "chen.jie"})
    assert refused.status_code == 422 and "not an active collector" in refused.json()["detail"]
    response = await api.post(f"/v1/accounts/{account}/owner", "supervisor", json=body)
    assert response.status_code == 200, response.text
    assert store.account(account).owner == "wu.bo"  # type: ignore[union-attr]
    audit = [(r.by, r.detail) for r in store.contact_log(account) if r.action == "owner"]
    assert audit == [("assignment rules", "account given to li.na (team -)"),
                     ("wang.fang", "account given to wu.bo (team -)")]  # fmt: skip
    assert (await api.post("/v1/accounts/NOPE-1/owner", "supervisor", json=body)).status_code == 404
