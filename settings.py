"""Configuration from the environment, with embedded defaults that need no Docker and no network."""

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.senders import SmsHttpSettings, SmtpSettings
from workflows import TASK_QUEUE

ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    temporal_address: str
    temporal_namespace: str
    task_queue: str
    ui_port: int
    api_port: int
    database_url: str
    legal_dir: Path
    smtp: SmtpSettings | None  # None: email goes to the file channel
    sms: SmsHttpSettings | None  # None: SMS goes to the file channel
    var_dir: Path
    outbox_dir: Path
    policy_dir: Path

    @classmethod
    def from_env(cls) -> "Settings":
        var_dir = Path(os.environ.get("COLLECTIONS_VAR_DIR", ROOT / "var"))
        return cls(
            temporal_address=os.environ.get("TEMPORAL_ADDRESS", "localhost:7233"),
            temporal_namespace=os.environ.get("TEMPORAL_NAMESPACE", "default"),
            task_queue=os.environ.get("COLLECTIONS_TASK_QUEUE", TASK_QUEUE),
            ui_port=int(os.environ.get("TEMPORAL_UI_PORT", "8233")),
            api_port=int(os.environ.get("COLLECTIONS_API_PORT", "8000")),
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{var_dir / 'collections.db'}"),
            legal_dir=Path(os.environ.get("COLLECTIONS_LEGAL_DIR", var_dir / "legal")),
            smtp=_smtp(os.environ),
            sms=_sms(os.environ),
            var_dir=var_dir,
            outbox_dir=Path(os.environ.get("COLLECTIONS_OUTBOX_DIR", var_dir / "outbox")),
            policy_dir=Path(os.environ.get("COLLECTIONS_POLICY_DIR", ROOT / "policies")),
        )

    async def connect(self) -> Client:
        """A client with the pydantic data converter, as every client of this project must have."""
        return await Client.connect(
            self.temporal_address, namespace=self.temporal_namespace, data_converter=pydantic_data_converter
        )


def _smtp(env: Mapping[str, str]) -> SmtpSettings | None:
    if not env.get("SMTP_HOST"):
        return None
    return SmtpSettings(
        host=env["SMTP_HOST"],
        port=int(env.get("SMTP_PORT", "587")),
        sender_address=env.get("SMTP_FROM", "receivables@example.com"),
        sender_name=env.get("SMTP_FROM_NAME", ""),
        starttls=env.get("SMTP_STARTTLS", "true").lower() in ("1", "true", "yes"),
        username=env.get("SMTP_USERNAME") or None,
        password=env.get("SMTP_PASSWORD") or None,
        cafile=env.get("SMTP_CAFILE") or None,
    )


def _sms(env: Mapping[str, str]) -> SmsHttpSettings | None:
    if not env.get("SMS_URL"):
        return None
    return SmsHttpSettings(
        url=env["SMS_URL"],
        auth_header_value=env.get("SMS_AUTH_VALUE", ""),
        auth_header_name=env.get("SMS_AUTH_HEADER", "Authorization"),
        idempotency_header=env.get("SMS_IDEMPOTENCY_HEADER", "Idempotency-Key"),
    )


def exit_now(code: int) -> NoReturn:
    """Leave a command-line process without interpreter finalization: the Temporal client's native threads can
    abort it ("PyGILState_Release ... finalizing", temporalio/sdk-python#300), turning a clean exit into a crash."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
