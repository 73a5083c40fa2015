"""GET /v1/accounts (filters, pages) and GET /v1/reports/aging on a known book, from visibility on the dev server.

Each test's accounts run on a task queue of their own, and every call is scoped to it (`task_queue=`): other
tests' workflows share the server. Visibility is eventually consistent, so the assertions poll."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.api.conftest import Api, utc_today
from tests.polling import eventually

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Known:
    segment: str
    amount: str
    currency: str
    days_past_due: int
    bucket: str


BOOK = {
    "due-today": Known("standard", "100.00", "CNY", 0, "current"),
    "usd-5": Known("important", "2500.00", "USD", 5, "1-30"),
    "cny-12": Known("standard", "300.50", "CNY", 12, "1-30"),
    "vip-40": Known("vip", "4000.00", "CNY", 40, "31-60"),
    "std-70": Known("standard", "5000.25", "CNY", 70, "61-90"),
    "risk-100": Known("high_risk", "12000.00", "CNY", 100, "90+"),
}


async def open_book(api: Api) -> dict[str, str]:
    """The known book: name -> account id. Events come as one batch, as a billing system would send them."""
    events = {
        name: api.event(
            segment=k.segment, amount=k.amount, currency=k.currency, days_past_due=k.days_past_due, locale="en"
        )
        for name, k in BOOK.items()
    }
    response = await api.post("/v1/events", "ops", json=list(events.values()))
    assert [r["result"] for r in response.json()] == ["started"] * len(BOOK), response.text
    ids = {name: event["account_id"] for name, event in events.items()}
    # One approval waits: a write-off asked for the high-risk account (its ladder sends the written demand first).
    response = await api.post(f"/v1/accounts/{ids['risk-100']}/write-off", json={"reason": "debtor dissolved"})
    assert response.status_code == 200, response.text
    return ids


async def listed(api: Api, **params: object) -> list[dict]:
    """Every page of the list, scoped to the test's task queue."""
    rows: list[dict] = []
    cursor = None
    while True:
        query = {"task_queue": api.queue, **params} | ({"cursor": cursor} if cursor else {})
        response = await api.get("/v1/accounts", params=query)
        assert response.status_code == 200, response.text
        rows += response.json()["accounts"]
        cursor = response.json()["next_cursor"]
        if not cursor:
            return rows


async def settled_book(api: Api, ids: dict[str, str]) -> list[dict]:
    """The list once visibility shows every account with its final attributes (stage, oldest due date, pending
    approval): an account is listed from its start, before its first workflow task publishes them."""

    def complete(rows: list[dict]) -> bool:
        by_id = {row["account_id"]: row for row in rows}
        published = all(row["oldest_due"] is not None for row in rows)
        return set(by_id) == set(ids.values()) and published and by_id[ids["risk-100"]]["pending_approval"]

    # Generous: on a loaded machine the high-risk account's first workflow task (its written demand rendered as PDF
    # first, then the write-off request) can take more than the usual 15 s to show in visibility.
    rows = await eventually(lambda: listed(api), complete, timeout=60)
    missing = set(ids.values()) - {row["account_id"] for row in rows}
    assert complete(rows), f"not listed: {missing}; unpublished: {[r for r in rows if r['oldest_due'] is None]}; {rows}"
    return rows


async def listed_page(api: Api, params: dict) -> dict:
    response = await api.get("/v1/accounts", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def names(ids: dict[str, str]) -> Callable[[list[dict]], set[str]]:
    back = {account: name for name, account in ids.items()}
    return lambda rows: {back[row["account_id"]] for row in rows}


async def test_filters_and_pages(api: Api) -> None:
    ids = await open_book(api)
    named = names(ids)
    rows = await settled_book(api, ids)

    by_name = {name: next(r for r in rows if r["account_id"] == account) for name, account in ids.items()}
    std70 = by_name["std-70"]
    assert std70 == {
        "account_id": ids["std-70"],
        "workflow_id": f"collection-{ids['std-70']}",
        "stage": "strict",
        "segment": "standard",
        "outstanding": "5000.25",
        "currency": "CNY",
        "oldest_due": (utc_today() - timedelta(days=70)).isoformat(),
        "days_past_due": 70,
        "pending_approval": False,
        "running": True,
        "stuck": False,
    }
    assert {name: row["days_past_due"] for name, row in by_name.items()} == {
        name: k.days_past_due for name, k in BOOK.items()
    }

    cases: list[tuple[dict, set[str]]] = [
        ({"segment": "important"}, {"usd-5"}),
        ({"stage": "strict"}, {"std-70"}),
        ({"min_outstanding": "2500", "max_outstanding": "5000.25"}, {"usd-5", "vip-40", "std-70"}),
        ({"min_days_past_due": 31}, {"vip-40", "std-70", "risk-100"}),
        ({"min_days_past_due": 1, "max_days_past_due": 12}, {"usd-5", "cny-12"}),
        ({"max_days_past_due": 0}, {"due-today"}),
        ({"pending_approval": True}, {"risk-100"}),
        ({"segment": "standard", "min_days_past_due": 10, "pending_approval": False}, {"cny-12", "std-70"}),
    ]
    for params, expected in cases:
        assert named(await listed(api, **params)) == expected, params

    seen, sizes, cursor = [], [], None
    while True:
        params = {"task_queue": api.queue, "page_size": 4} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/v1/accounts", params=params)).json()
        sizes.append(len(page["accounts"]))
        seen += [row["account_id"] for row in page["accounts"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sizes == [4, 2] and sorted(seen) == sorted(ids.values())
    assert len(await listed(api, page_size=1)) == len(BOOK)

    response = await api.post(f"/v1/accounts/{ids['due-today']}/write-off", json={"reason": "tiny"})
    assert response.status_code == 200
    approve = f"/v1/accounts/{ids['due-today']}/approvals/write-off-1/approve"
    assert (await api.post(approve, "manager", json={"reason": "tiny"})).status_code == 200
    open_rows = await eventually(lambda: listed(api), lambda rows: len(rows) == len(BOOK) - 1)
    assert "due-today" not in named(open_rows)
    everything = await listed(api, include_closed=True)
    closed = [row for row in everything if row["account_id"] == ids["due-today"]]
    assert len(everything) == len(BOOK) and closed[0]["running"] is False and closed[0]["stage"] == "closed"


async def test_filters_that_cannot_be_queried_safely_are_refused(api: Api) -> None:
    for params in (
        {"stage": "x' OR 'a'='a"},
        {"segment": "a b"},
        {"cursor": "%%%"},
        {"cursor": "AAAA"},
        {"task_queue": "q)"},
    ):
        response = await api.get("/v1/accounts", params=params)
        assert response.status_code == 422, (params, response.text)
    response = await api.get("/v1/accounts", params={"min_outstanding": "NaN"})
    assert response.status_code == 422


async def test_a_cursor_serves_only_the_filters_it_was_made_for(api: Api) -> None:
    for _ in range(3):
        await api.open_account(segment="vip")
    params = {"task_queue": api.queue, "page_size": 1}
    cursor = (await eventually(lambda: listed_page(api, params), lambda page: page["next_cursor"]))["next_cursor"]
    assert cursor
    assert (await api.get("/v1/accounts", params=params | {"cursor": cursor})).status_code == 200
    other = await api.get("/v1/accounts", params=params | {"cursor": cursor, "segment": "vip"})
    assert other.status_code == 422 and "same filters" in other.json()["detail"]


async def test_aging_of_a_known_book(api: Api) -> None:
    ids = await open_book(api)
    rows = await settled_book(api, ids)

    expected_buckets = {
        "CNY": {
            "current": ("1", "100.00"),
            "1-30": ("1", "300.50"),
            "31-60": ("1", "4000.00"),
            "61-90": ("1", "5000.25"),
            "90+": ("1", "12000.00"),
        },
        "USD": {
            "current": ("0", "0"),
            "1-30": ("1", "2500.00"),
            "31-60": ("0", "0"),
            "61-90": ("0", "0"),
            "90+": ("0", "0"),
        },
    }
    expected_stages: dict[str, dict[str, tuple[int, Decimal]]] = {}
    for row in rows:
        per_stage = expected_stages.setdefault(row["currency"], {})
        count, amount = per_stage.get(row["stage"], (0, Decimal(0)))
        per_stage[row["stage"]] = (count + 1, amount + Decimal(row["outstanding"]))

    response = await api.get("/v1/reports/aging", params={"task_queue": api.queue})

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["bucket_names"] == ["current", "1-30", "31-60", "61-90", "90+"]
    buckets = {c: {b: (str(t["count"]), t["amount"]) for b, t in per.items()} for c, per in report["buckets"].items()}
    assert buckets == expected_buckets
    stages = {c: {s: (t["count"], Decimal(t["amount"])) for s, t in per.items()} for c, per in report["stages"].items()}
    assert stages == expected_stages
    assert list(report["buckets"]["CNY"]) == report["bucket_names"]

    scoped = await api.get("/v1/reports/aging", params={"task_queue": api.queue, "segment": "important"})
    assert scoped.json()["buckets"] == {
        "USD": {
            b: {"count": int(b == "1-30"), "amount": "2500.00" if b == "1-30" else "0"} for b in report["bucket_names"]
        }
    }
