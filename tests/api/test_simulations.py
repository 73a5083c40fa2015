"""POST /v1/simulations: the policy simulator over HTTP, for the leads (no Temporal needed)."""

from fastapi import FastAPI

from tests.api.conftest import MACHINE_KEYS, serve

REQUEST = {"accounts": 300, "runs": 3, "seed": 4, "days": 60, "start": "2027-01-04",
           "policies": ["book", "accelerated"]}  # fmt: skip


async def test_a_lead_simulates_and_the_same_request_gives_the_same_figures(offline_app: FastAPI) -> None:
    async with serve(offline_app) as http:
        headers = {"X-API-Key": MACHINE_KEYS["supervisor"]}
        first = await http.post("/v1/simulations", json=REQUEST, headers=headers)
        again = await http.post("/v1/simulations", json=REQUEST, headers=headers)
        chart = await http.post("/v1/simulations?format=svg", json=REQUEST, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == again.json()
    body = first.json()
    assert [arm["arm"] for arm in body["arms"]] == ["book", "accelerated"]
    for arm in body["arms"]:
        assert arm["accounts"] == 300 and len(arm["curve"]["mean"]) == 61
        assert arm["curve"]["low"][-1] <= arm["curve"]["mean"][-1] <= arm["curve"]["high"][-1]
        assert arm["recovered_share"]["mean"] == arm["curve"]["mean"][-1]
    assert chart.headers["content-type"] == "image/svg+xml"
    assert chart.text.startswith("<svg") and "accelerated" in chart.text


async def test_simulations_are_refused_to_others_and_bad_requests_say_why(offline_app: FastAPI) -> None:
    async with serve(offline_app) as http:
        lead = {"X-API-Key": MACHINE_KEYS["supervisor"]}
        ops = await http.post("/v1/simulations", json=REQUEST, headers={"X-API-Key": MACHINE_KEYS["ops"]})
        unknown = await http.post("/v1/simulations", json={**REQUEST, "policies": ["faster"]}, headers=lead)
        path = await http.post("/v1/simulations", json={**REQUEST, "policies": ["/etc/passwd.toml"]}, headers=lead)
        huge = await http.post("/v1/simulations", json={**REQUEST, "accounts": 10_000_000}, headers=lead)
        extra = await http.post("/v1/simulations", json={**REQUEST, "model": "/tmp/x.toml"}, headers=lead)
    assert ops.status_code == 403
    assert unknown.status_code == 422 and "no policy 'faster'" in unknown.text and "standard" in unknown.text
    assert path.status_code == 422  # a name, never a file
    assert huge.status_code == 422 and extra.status_code == 422
