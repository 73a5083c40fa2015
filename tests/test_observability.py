"""Structured logs: one JSON object a line, carrying the account and the workflow a record is about."""

import json
import logging

from observability import JsonFormatter


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


def test_a_record_about_no_account_has_no_account_fields() -> None:
    entry = formatted()
    assert "account_id" not in entry and "workflow_id" not in entry
