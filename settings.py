"""Configuration from the environment (pydantic-settings), with embedded defaults that need no Docker and no
network. Every variable is listed, with its default, in the README's Configuration table."""

import os
import sys
from pathlib import Path
from typing import Literal, NoReturn

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from activities.senders import SmsHttpSettings, SmtpSettings
from codec import data_converter, parse_keys
from workflows import HISTORY_EVENTS_PER_RUN, TASK_QUEUE

ROOT = Path(__file__).resolve().parent
DEFAULT_VAR = ROOT / "var"


def env(name: str) -> AliasChoices:
    """The environment variable a field reads (names are fixed by the README, not derived from field names)."""
    return AliasChoices(name)


class ConfigError(ValueError):
    """A configuration variable is malformed."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True, env_ignore_empty=True)

    # Temporal: a dev server on localhost by default; TLS client certificates or an API key for Temporal Cloud.
    temporal_address: str = Field(default="localhost:7233", validation_alias=env("TEMPORAL_ADDRESS"))
    temporal_namespace: str = Field(default="default", validation_alias=env("TEMPORAL_NAMESPACE"))
    temporal_tls_cert: Path | None = Field(default=None, validation_alias=env("TEMPORAL_TLS_CERT"))
    temporal_tls_key: Path | None = Field(default=None, validation_alias=env("TEMPORAL_TLS_KEY"))
    temporal_tls_ca: Path | None = Field(default=None, validation_alias=env("TEMPORAL_TLS_CA"))
    temporal_api_key: SecretStr | None = Field(default=None, validation_alias=env("TEMPORAL_API_KEY"))
    task_queue: str = Field(default=TASK_QUEUE, validation_alias=env("COLLECTIONS_TASK_QUEUE"))
    ui_port: int = Field(default=8233, validation_alias=env("TEMPORAL_UI_PORT"))

    # Our processes.
    api_port: int = Field(default=8000, validation_alias=env("COLLECTIONS_API_PORT"))
    var_dir: Path = Field(default=DEFAULT_VAR, validation_alias=env("COLLECTIONS_VAR_DIR"))
    # Unset: under var_dir (the properties below).
    database_url_env: str | None = Field(default=None, validation_alias=env("DATABASE_URL"))
    legal_dir_env: Path | None = Field(default=None, validation_alias=env("COLLECTIONS_LEGAL_DIR"))
    outbox_dir_env: Path | None = Field(default=None, validation_alias=env("COLLECTIONS_OUTBOX_DIR"))
    policy_dir: Path = Field(default=ROOT / "policies", validation_alias=env("COLLECTIONS_POLICY_DIR"))
    log_format: Literal["text", "json"] = Field(default="text", validation_alias=env("COLLECTIONS_LOG_FORMAT"))
    metrics_port: int | None = Field(
        default=None, validation_alias=env("COLLECTIONS_METRICS_PORT"), description="Prometheus /metrics; unset: off"
    )
    metrics_host: str = Field(
        default="127.0.0.1", min_length=1, validation_alias=env("COLLECTIONS_METRICS_HOST"),
        description="the interface /metrics listens on: the loopback unless a scraper elsewhere needs it",
    )  # fmt: skip
    encryption_keys: SecretStr | None = Field(
        default=None, validation_alias=env("COLLECTIONS_ENCRYPTION_KEYS"), description="id=base64key,... first: current"
    )

    # Worker tuning (None: the SDK's defaults).
    max_concurrent_activities: int | None = Field(default=None, ge=1, validation_alias=env("WORKER_MAX_ACTIVITIES"))
    max_concurrent_workflow_tasks: int | None = Field(
        default=None, ge=2, validation_alias=env("WORKER_MAX_WORKFLOW_TASKS")
    )
    max_cached_workflows: int | None = Field(default=None, ge=0, validation_alias=env("WORKER_MAX_CACHED_WORKFLOWS"))
    pdf_processes: int = Field(
        default=1, ge=1, le=64, validation_alias=env("WORKER_PDF_PROCESSES"),
        description="processes beside each worker that render PDF letters",
    )  # fmt: skip
    history_events_per_run: int = Field(
        default=HISTORY_EVENTS_PER_RUN,
        ge=100,
        le=50_000,
        validation_alias=env("COLLECTIONS_HISTORY_EVENTS_PER_RUN"),
        description="continue-as-new after this many history events (or when Temporal suggests it)",
    )
    shutdown_grace: float = Field(
        default=30, ge=0, validation_alias=env("WORKER_SHUTDOWN_GRACE"), description="in-flight activities finish"
    )

    # Channels: unset SMTP_HOST / SMS_URL keep the file channel.
    smtp_host: str | None = Field(default=None, validation_alias=env("SMTP_HOST"))
    smtp_port: int = Field(default=587, validation_alias=env("SMTP_PORT"))
    smtp_from: str = Field(default="receivables@example.com", validation_alias=env("SMTP_FROM"))
    smtp_from_name: str = Field(default="", validation_alias=env("SMTP_FROM_NAME"))
    smtp_starttls: bool = Field(default=True, validation_alias=env("SMTP_STARTTLS"))
    smtp_username: str | None = Field(default=None, validation_alias=env("SMTP_USERNAME"))
    smtp_password: SecretStr | None = Field(default=None, validation_alias=env("SMTP_PASSWORD"))
    smtp_cafile: str | None = Field(default=None, validation_alias=env("SMTP_CAFILE"))
    sms_url: str | None = Field(default=None, validation_alias=env("SMS_URL"))
    sms_auth_value: SecretStr = Field(default=SecretStr(""), validation_alias=env("SMS_AUTH_VALUE"))
    sms_auth_header: str = Field(default="Authorization", validation_alias=env("SMS_AUTH_HEADER"))
    sms_idempotency_header: str = Field(default="Idempotency-Key", validation_alias=env("SMS_IDEMPOTENCY_HEADER"))

    @model_validator(mode="after")
    def _tls_pair(self) -> "Settings":
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both or neither")
        return self

    @property
    def database_url(self) -> str:
        return self.database_url_env or f"sqlite:///{self.var_dir / 'collections.db'}"

    @property
    def legal_dir(self) -> Path:
        return self.legal_dir_env or self.var_dir / "legal"

    @property
    def outbox_dir(self) -> Path:
        return self.outbox_dir_env or self.var_dir / "outbox"

    @classmethod
    def from_env(cls) -> "Settings":
        """The settings, or ConfigError naming each bad variable (never echoing values: some are secrets)."""
        try:
            return cls()
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg'].removeprefix('Value error, ')}"
                for e in error.errors(include_input=False, include_url=False)
            )
            raise ConfigError(f"invalid configuration: {problems}") from None

    def worker_options(self) -> dict[str, int]:
        """Worker tuning that is set (the SDK's defaults otherwise)."""
        options = {
            "max_concurrent_activities": self.max_concurrent_activities,
            "max_concurrent_workflow_tasks": self.max_concurrent_workflow_tasks,
            "max_cached_workflows": self.max_cached_workflows,
        }
        return {name: value for name, value in options.items() if value is not None}

    @property
    def smtp(self) -> SmtpSettings | None:
        """None: email goes to the file channel."""
        if not self.smtp_host:
            return None
        return SmtpSettings(
            host=self.smtp_host,
            port=self.smtp_port,
            sender_address=self.smtp_from,
            sender_name=self.smtp_from_name,
            starttls=self.smtp_starttls,
            username=self.smtp_username or None,
            password=self.smtp_password.get_secret_value() if self.smtp_password else None,
            cafile=self.smtp_cafile or None,
        )

    @property
    def sms(self) -> SmsHttpSettings | None:
        """None: SMS goes to the file channel."""
        if not self.sms_url:
            return None
        return SmsHttpSettings(
            url=self.sms_url,
            auth_header_value=self.sms_auth_value.get_secret_value(),
            auth_header_name=self.sms_auth_header,
            idempotency_header=self.sms_idempotency_header,
        )

    def tls(self) -> TLSConfig | bool:
        """mTLS with a client certificate, TLS alone with an API key (Temporal Cloud), else plain (a dev server)."""
        if self.temporal_tls_cert and self.temporal_tls_key:
            return TLSConfig(
                client_cert=self.temporal_tls_cert.read_bytes(),
                client_private_key=self.temporal_tls_key.read_bytes(),
                server_root_ca_cert=self.temporal_tls_ca.read_bytes() if self.temporal_tls_ca else None,
            )
        if self.temporal_tls_ca:
            return TLSConfig(server_root_ca_cert=self.temporal_tls_ca.read_bytes())
        return self.temporal_api_key is not None

    @field_validator("encryption_keys")
    @classmethod
    def _keys_parse(cls, keys: SecretStr | None) -> SecretStr | None:
        if keys is not None:
            parse_keys(keys.get_secret_value())  # a malformed key stops the process at start, by name
        return keys

    async def connect(self, runtime: Runtime | None = None) -> Client:
        """A client with the pydantic data converter, as every client of this project must have, and the payload
        encryption codec when COLLECTIONS_ENCRYPTION_KEYS is set (a worker inherits its client's converter)."""
        try:
            converter = data_converter(self.encryption_keys)
        except ValueError as error:
            raise ConfigError(f"invalid configuration: {error}") from None
        return await Client.connect(
            self.temporal_address,
            namespace=self.temporal_namespace,
            data_converter=converter,
            tls=self.tls(),
            api_key=self.temporal_api_key.get_secret_value() if self.temporal_api_key else None,
            runtime=runtime,
        )


def exit_now(code: int) -> NoReturn:
    """Leave a command-line process without interpreter finalization: the Temporal client's native threads can
    abort it ("PyGILState_Release ... finalizing", temporalio/sdk-python#300), turning a clean exit into a crash."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
