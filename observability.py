"""Logs and metrics. Logs: text or one JSON object per line, each carrying the account and workflow it is about.
Metrics: the Temporal runtime's own (workflow tasks, activities, schedule-to-start latency...) and ours, all on one
Prometheus endpoint served by the runtime."""

import json
import logging
import re
from datetime import UTC, datetime
from typing import Literal

from temporalio import activity, workflow
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from workflows import WORKFLOW_ID_PREFIX

# Our counters (Prometheus adds `_total`). Pending approvals = requested - decided.
MESSAGES = "collections_messages"  # channel, kind, result: sent | failed | already_sent
STAGE_TRANSITIONS = "collections_stage_transitions"  # from, to
APPROVALS_REQUESTED = "collections_approvals_requested"  # level
APPROVALS_DECIDED = "collections_approvals_decided"  # decision
LEGAL_HANDOFFS = "collections_legal_handoffs"
WORKFLOW_TASK_FAILURES = "collections_workflow_task_failures"  # where: run | signal | update (a stuck account)

# Record attributes the SDK's loggers add: workflow.logger puts `temporal_workflow`, activity.logger
# `temporal_activity`, each a dict with the workflow id among other things.
_TEMPORAL_EXTRAS = ("temporal_workflow", "temporal_activity")
_CONTEXT_KEYS = ("workflow_id", "run_id", "workflow_type", "activity_type", "attempt")
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


# Debtors' contact details in log text: a refused recipient, a provider's error echoing a number, an exception's
# repr. Debtor names cannot be told apart from other text; our own messages name none (see the README's Logs).
_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]++@[\w-]++(?:\.[\w-]++)+")  # linear: starts only at a word's start
_PHONE = re.compile(r"\+\d(?:[ -]?\d){6,14}")  # E.164, as events give it, with or without separators


def redact(text: str) -> str:
    """The text with email addresses and phone numbers masked."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


class RedactingFormatter(logging.Formatter):
    """Text lines, message and traceback alike, with email addresses and phone numbers masked."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, the account and workflow ids when the record is
    about one, any `extra=` fields, and the traceback; email addresses and phone numbers masked in the texts."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        for name in _TEMPORAL_EXTRAS:
            context = getattr(record, name, None)
            if isinstance(context, dict):
                entry.update({k: v for k, v in context.items() if k in _CONTEXT_KEYS})
        workflow_id = entry.get("workflow_id")
        if isinstance(workflow_id, str) and workflow_id.startswith(WORKFLOW_ID_PREFIX):
            entry["account_id"] = workflow_id.removeprefix(WORKFLOW_ID_PREFIX)
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in _TEMPORAL_EXTRAS and not key.startswith("_"):
                entry[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(log_format: Literal["text", "json"], level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
        # The SDK's loggers also append their context to the message text: in JSON it is in fields already.
        workflow.logger.workflow_info_on_message = False
        activity.logger.activity_info_on_message = False
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)


def host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # an IPv6 address goes in brackets


def prometheus_runtime(port: int, host: str = "127.0.0.1") -> Runtime:
    """A Temporal runtime that serves every metric, its own and ours, at http://host:port/metrics (the loopback
    by default: the endpoint has no authentication)."""
    return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=host_port(host, port))))
