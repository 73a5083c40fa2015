"""Letters followed to their delivery through the API: the mailroom's tracking number on the account's route, the
courier's webhook by the reference printed on the letter, its retries applied once, bad references refused."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.api.conftest import Api, standard_with_only

pytestmark = pytest.mark.integration
DEMAND = "d031-send_demand_letter"


@pytest.fixture(autouse=True)
def demand_letter_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The demand letter alone, issued at any hour: the test runs whenever it runs."""
    standard_with_only(monkeypatch, tmp_path / "policies", "send_demand_letter")


async def test_the_mailroom_posts_and_the_courier_reports_by_the_letters_reference(api: Api) -> None:
    due = datetime.now(UTC).date() - timedelta(days=32)
    account = await api.open_account(due_date=due)
    status = await api.status_until(account, lambda s: s["letters"])
    [letter] = status["letters"]
    assert (letter["step"], letter["status"]) == (DEMAND, "queued")
    reference = next(h["idempotency_key"] for h in status["history"] if h["step"] == DEMAND and h["kind"] == "action")

    posted = {"event": "posted", "tracking_number": "EMS0042CN", "step": DEMAND, "command_id": "post-1"}
    response = await api.post(f"/v1/accounts/{account}/letters", "ops-key", json=posted)
    assert (response.status_code, response.json()["message"]) == (202, "letter_delivery"), response.text
    await api.status_until(account, lambda s: s["letters"][0]["status"] == "in_transit")

    report = {"reference": reference, "tracking_number": "EMS0042CN", "event": "delivered", "proof_ref": "SIGN-9",
              "courier": "EMS", "extra": {"ignored": True}}  # fmt: skip
    for _ in range(2):  # the courier retries: one report
        response = await api.post("/v1/deliveries", "ops-key", json=report)
        assert response.status_code == 202, response.text
        assert response.headers["X-Command-Id"] == "courier-delivered-EMS0042CN"
    status = await api.status_until(account, lambda s: s["letters"][0]["status"] == "delivered")
    assert status["letters"][0]["proof_ref"] == "SIGN-9"
    assert sum("letter_delivery by" in h["detail"] for h in status["history"]) == 2  # posted, delivered
    assert status["limitation_date"] == (datetime.now(UTC).date().replace(year=datetime.now(UTC).year + 3)).isoformat()


async def test_a_report_that_names_no_letter_is_refused(api: Api) -> None:
    bad = {"reference": "INV-1", "tracking_number": "EMS1", "event": "delivered"}
    response = await api.post("/v1/deliveries", "ops-key", json=bad)
    assert (response.status_code, response.json()["detail"]) == (
        422, "reference 'INV-1' is not a letter's (collection-<account>/<event>/<step>)"
    )  # fmt: skip
    for odd in ("collection-A\x00B/evt-1/d031", "collection-ACC-1/evt-1/d031/x", "collection-/evt/d031", "x" * 500):
        response = await api.post("/v1/deliveries", "ops-key", json=bad | {"reference": odd})
        assert response.status_code == 422, (odd, response.text)
    response = await api.post("/v1/deliveries", "collector", json=bad)
    assert response.status_code == 403
    unknown = bad | {"reference": "collection-NOPE-1/evt-1/d031-send_demand_letter"}
    assert (await api.post("/v1/deliveries", "ops-key", json=unknown)).status_code == 404
