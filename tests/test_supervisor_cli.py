"""The supervisor's command line on a known book: list with filters and pages, and the aging report."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio.testing import WorkflowEnvironment

import starter
from domain.policy_book import PolicyBook
from edge.ingest import submit
from tests.factories import overdue
from tests.test_starter import terminate
from worker import build_worker

pytestmark = pytest.mark.integration


async def test_list_and_aging_on_a_known_book(
    dev_env: WorkflowEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    queue = f"tq-{uuid.uuid4()}"
    monkeypatch.setenv("COLLECTIONS_TASK_QUEUE", queue)
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    book = [  # account, days overdue, amount, currency, segment
        ("K1", 10, "1000.00", "CNY", "standard"),
        ("K2", 20, "2000.00", "CNY", "standard"),
        ("K3", 45, "3000.00", "CNY", "important"),
        ("K4", 95, "4000.00", "CNY", "high_risk"),
        ("K5", 5, "500.00", "USD", "standard"),
    ]
    run = uuid.uuid4().hex[:6]
    accounts = [f"{name}-{run}" for name, *_ in book]
    async with build_worker(dev_env.client, tmp_path / "outbox", task_queue=queue):
        for account, (_, days, amount, currency, segment) in zip(accounts, book, strict=True):
            event = overdue(account_id=account, occurred_at=now, due_date=today - timedelta(days=days), amount=amount,
                            currency=currency, segment=segment)  # fmt: skip
            assert await submit(dev_env.client, event, PolicyBook(), task_queue=queue) == "started"
        for _ in range(100):  # visibility is eventually consistent
            capsys.readouterr()
            await starter.main(["list", "--json"], client=dev_env.client)
            listed = json.loads(capsys.readouterr().out)["accounts"]
            if len(listed) == len(book) and all(a["oldest_due"] for a in listed):
                break
            await asyncio.sleep(0.2)

        assert await starter.main(["aging", "--json"], client=dev_env.client) == 0
        report = json.loads(capsys.readouterr().out)
        assert {b: (t["count"], t["amount"]) for b, t in report["buckets"]["CNY"].items()} == {
            "current": (0, "0"), "1-30": (2, "3000.00"), "31-60": (1, "3000.00"), "61-90": (0, "0"),
            "90+": (1, "4000.00"),
        }  # fmt: skip
        assert report["buckets"]["USD"]["1-30"]["count"] == 1

        assert await starter.main(["aging"], client=dev_env.client) == 0
        text = capsys.readouterr().out
        assert "CNY by days past due" in text and "total" in text

        await starter.main(["list", "--min-dpd", "30", "--json"], client=dev_env.client)
        assert sorted(a["account_id"] for a in json.loads(capsys.readouterr().out)["accounts"]) == accounts[2:4]
        await starter.main(["list", "--segment", "standard", "--page-size", "2", "--json"], client=dev_env.client)
        page = json.loads(capsys.readouterr().out)
        assert len(page["accounts"]) == 2 and page["next_cursor"]
        await starter.main(["list", "--segment", "standard", "--page-size", "2", f"--cursor={page['next_cursor']}",
                            "--json"], client=dev_env.client)  # fmt: skip
        rest = json.loads(capsys.readouterr().out)["accounts"]
        standard = {a for a, row in zip(accounts, book, strict=True) if row[4] == "standard"}
        assert {a["account_id"] for a in page["accounts"] + rest} == standard
        assert await starter.main(["list"], client=dev_env.client) == 0
        table = capsys.readouterr().out
        assert table.splitlines()[0].split()[:3] == ["account", "stage", "segment"] and "5 account(s)" in table
    await terminate(dev_env, accounts)
