"""Issue 13: a stuck account is seen, not discovered months later. An account is wedged through a deliberately
broken planner on a real dev server: the worker logs it at error level with its id, counts it on the metrics
endpoint, and `starter.py list --stuck` and the book list it; a healthy account beside it is not listed."""

import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

import book
import domain.planner
import starter
from domain.policy_book import PolicyBook
from edge.ingest import submit
from observability import WORKFLOW_TASK_FAILURES, prometheus_runtime
from tests.factories import overdue
from tests.integration.test_metrics import counter
from tests.polling import eventually
from tests.postgres import free_port
from worker import build_worker
from workflows import workflow_id

pytestmark = pytest.mark.integration


async def test_an_account_whose_workflow_tasks_fail_is_logged_counted_and_listed_as_stuck(
    dev_env: WorkflowEnvironment,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue, token = f"tq-stuck-{uuid.uuid4()}", uuid.uuid4().hex[:8]
    stuck, healthy = f"STUCK-{token}", f"OK-{token}"
    plan = domain.planner.plan

    def broken(state: object, now: datetime) -> object:
        if getattr(state, "account_id", None) == stuck:
            raise ZeroDivisionError("a planner bug")
        return plan(state, now)  # type: ignore[arg-type]

    monkeypatch.setattr(domain.planner, "plan", broken)  # what the sandboxed workflow module imports
    monkeypatch.setenv("COLLECTIONS_TASK_QUEUE", queue)
    port = free_port()
    client = await Client.connect(
        dev_env.client.service_client.config.target_host, namespace=dev_env.client.namespace,
        data_converter=pydantic_data_converter, runtime=prometheus_runtime(port),
    )  # fmt: skip

    async def stuck_rows() -> list[book.AccountRow]:
        return (await book.list_accounts(client, book.Filters(stuck=True, task_queue=queue)))[0]

    async def scrape() -> str:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"http://127.0.0.1:{port}/metrics")).text

    caplog.set_level(logging.ERROR, logger="temporalio.workflow")
    async with build_worker(client, tmp_path / "outbox", task_queue=queue):
        for account in (stuck, healthy):
            event = overdue(account_id=account, occurred_at=datetime.now(UTC))
            assert await submit(client, event, PolicyBook(), task_queue=queue) == "started"
        try:
            rows = await eventually(stuck_rows, lambda rows: bool(rows), 60)
            metrics = await eventually(scrape, lambda text: counter(text, WORKFLOW_TASK_FAILURES, where="run") > 0, 20)

            assert [(r.account_id, r.stuck) for r in rows] == [(stuck, True)]
            assert counter(metrics, WORKFLOW_TASK_FAILURES, where="run") >= 2  # every failed attempt counts
            errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
            assert any(f"workflow task failed for account {stuck} in run (ZeroDivisionError)" in m for m in errors)
            assert not any(healthy in m for m in errors)

            capsys.readouterr()
            assert await starter.main(["list", "--stuck"], client=client) == 0
            out = capsys.readouterr().out
            assert stuck in out and "STUCK" in out and healthy not in out
            everyone = (await book.list_accounts(client, book.Filters(task_queue=queue)))[0]
            assert {r.account_id: r.stuck for r in everyone} == {stuck: True, healthy: False}
        finally:
            for account in (stuck, healthy):
                await client.get_workflow_handle(workflow_id(account)).terminate("test over")
