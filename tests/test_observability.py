"""Structured logs: one JSON object a line, carrying the account and the workflow a record is about."""

import json
import logging
import sys
import time
from pathlib import Path

import httpx
import pytest

from observability import JsonFormatter, host_port, redact
from settings import Settings
from tests.postgres import free_port
from worker import metrics_runtime


def formatted(**extra: object) -> dict:
    record = logging.makeLogRecord({"name": "temporalio.workflow", "levelname": "INFO", "msg": "done %s",
                                    "args": ("d001-send_sms",), **extra})  # fmt: skip
    return json.loads(JsonFormatter().format(record))


def test_a_workflow_record_names_its_account_and_workflow() -> None:
    context = {"workflow_id": "collection-ACC-1001", "run_id": "r-1", "workflow_type": "CollectionWorkflow",
               "namespace": "default", "task_queue": "collections", "attempt": 1}  # fmt: skip
    entry = formatted(temporal_workflow=context)
    assert entry["message"] == "done d001-send_sms" and entry["level"] == "INFO"
    assert (entry["account_id"], entry["workflow_id"], entry["run_id"]) == ("ACC-1001", "collection-ACC-1001", "r-1")
    assert "namespace" not in entry and "temporal_workflow" not in entry


def test_an_activity_record_and_extra_fields_and_errors() -> None:
    try:
        raise ValueError("SMTP refused")
    except ValueError as error:
        entry = formatted(temporal_activity={"workflow_id": "collection-ACC-7", "activity_type": "send_email"},
                          key="collection-ACC-7/evt-1/d003-send_email", exc_info=(ValueError, error, None))  # fmt: skip
    assert (entry["account_id"], entry["activity_type"]) == ("ACC-7", "send_email")
    assert entry["key"] == "collection-ACC-7/evt-1/d003-send_email"
    assert "ValueError: SMTP refused" in entry["exception"]


def test_emails_and_phone_numbers_are_masked_in_message_fields_and_traceback() -> None:
    try:
        raise ValueError("{'debtor@example.org': (550, b'no')}")
    except ValueError as error:
        entry = formatted(msg="sms to %s failed", args=("+86 138 0000 0000",), recipient="a.b+c@mail.example.co.uk",
                          exc_info=(ValueError, error, None))  # fmt: skip
    assert (entry["message"], entry["recipient"]) == ("sms to [phone] failed", "[email]")
    assert "ValueError: {'[email]': (550, b'no')}" in entry["exception"]
    harmless = "due 2026-11-25T08:04:00+08:00, 12000.00 CNY, evt-0001, +5 days"
    assert redact(harmless) == harmless


def test_a_record_about_no_account_has_no_account_fields() -> None:
    entry = formatted()
    assert "account_id" not in entry and "workflow_id" not in entry


def listening(port: int) -> set[str]:
    """The local addresses of the sockets listening on a TCP port, as the kernel lists them (hex, IPv4 and v6),
    once there is one (the runtime starts its server in the background)."""
    deadline = time.monotonic() + 10
    while not (addresses := _listening(port)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return addresses


def _listening(port: int) -> set[str]:
    addresses = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:
                addresses.add(address)
    return addresses


@pytest.mark.skipif(sys.platform != "linux", reason="reads the kernel's socket tables")
def test_the_metrics_endpoint_listens_on_the_loopback_only_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """It has no authentication: COLLECTIONS_METRICS_PORT alone once listened on every interface."""
    monkeypatch.delenv("COLLECTIONS_METRICS_HOST", raising=False)
    monkeypatch.setenv("COLLECTIONS_METRICS_PORT", str(port := free_port()))
    runtime = metrics_runtime(Settings.from_env())  # serves while it is referenced
    assert runtime is not None and listening(port) == {"0100007F"}  # 127.0.0.1
    assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200
    monkeypatch.setenv("COLLECTIONS_METRICS_HOST", "127.0.0.2")  # another interface, when told
    monkeypatch.setenv("COLLECTIONS_METRICS_PORT", str(port := free_port()))
    runtime = metrics_runtime(Settings.from_env())
    assert listening(port) == {"0200007F"}
    assert host_port("::1", 9464) == "[::1]:9464"
