"""The metrics endpoint: the Temporal runtime's metrics and our counters, after a small compressed ladder on a real
dev server, scraped the way Prometheus would."""

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.policy_book import PolicyBook
from edge.ingest import submit
from observability import MESSAGES, STAGE_TRANSITIONS, prometheus_runtime
from tests.factories import overdue
from tests.integration.test_end_to_end import compressed_policies
from tests.polling import eventually
from tests.postgres import free_port
from worker import build_worker
from workflows import workflow_id

pytestmark = pytest.mark.integration


def counter(text: str, name: str, **labels: str) -> float:
    """The sum of a counter's samples whose labels include `labels` (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{name}(?:_total)?\{{(.*)\}} ([0-9.e+]+)$", line)
        if match and all(f'{k}="{v}"' in match.group(1) for k, v in labels.items()):
            total += float(match.group(2))
    return total


async def test_the_endpoint_serves_runtime_metrics_and_our_counters(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    port = free_port()
    client = await Client.connect(
        dev_env.client.service_client.config.target_host, namespace=dev_env.client.namespace,
        data_converter=pydantic_data_converter, runtime=prometheus_runtime(port, host="127.0.0.1"),
    )  # fmt: skip
    queue, account = f"tq-{uuid.uuid4()}", f"MET-{uuid.uuid4().hex[:8]}"
    book = PolicyBook(compressed_policies(tmp_path / "policies"))  # high_risk: formal demand on day 15 = 3 s
    event = overdue(account_id=account, occurred_at=datetime.now(UTC), timezone="UTC", segment="high_risk")

    async def scrape() -> str:
        async with httpx.AsyncClient() as http:
            return (await http.get(f"http://127.0.0.1:{port}/metrics")).text

    async with build_worker(client, tmp_path / "outbox", task_queue=queue):
        assert await submit(client, event, book, task_queue=queue) == "started"
        try:
            text = await eventually(scrape, lambda t: counter(t, STAGE_TRANSITIONS, to="formal_demand") > 0, 20)
        finally:
            await client.get_workflow_handle(workflow_id(account)).terminate("test over")

    assert counter(text, STAGE_TRANSITIONS, **{"from": "friendly", "to": "formal_demand"}) == 1
    sent = counter(text, MESSAGES, kind="sms", channel="file", result="sent")
    assert sent >= 1 and counter(text, MESSAGES, result="failed") == 0
    assert counter(text, "temporal_workflow_task_execution_latency_count") > 0  # the runtime's own
    assert counter(text, "temporal_activity_execution_latency_count", activity_type="send_sms") >= sent
