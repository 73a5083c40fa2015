"""Configuration from the environment (pydantic-settings), with embedded defaults that need no Docker and no
network. Every variable is listed, with its default, in the README's Configuration table. This is the one place
that reads configuration: the worker, the API (`python -m api` too), the command lines and the store take what
`Settings` gives them.

The Temporal client is configured as the Temporal CLI configures it (`temporalio.envconfig`): a profile of a TOML
file (`TEMPORAL_CONFIG_FILE`, else the CLI's default file; `TEMPORAL_PROFILE`, else `default`), with the standard
`TEMPORAL_*` variables over it. Three older names are still read, as deprecated aliases (`LEGACY_ALIASES`)."""

import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn

from pydantic import AliasChoices, Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from temporalio.client import Client
from temporalio.envconfig import ClientConfigProfile, ClientConnectConfig
from temporalio.runtime import Runtime
from temporalio.service import TLSConfig

from activities.senders import HttpSettings, SmsHttpSettings, SmtpSettings
from codec import ENV as ENCRYPTION_KEYS_ENV
from codec import data_converter, parse_keys
from domain.creditor import CreditorBook
from domain.policy_book import PolicyBook
from workflows import HISTORY_EVENTS_PER_RUN, TASK_QUEUE

ROOT = Path(__file__).resolve().parent
DEFAULT_VAR = ROOT / "var"
EXAMPLE_CREDITORS = ROOT / "examples" / "creditors"  # what `make run` signs with when no profile is configured
DATABASE_FILE = "collections.db"
DEFAULT_TEMPORAL_ADDRESS = "localhost:7233"
DEFAULT_TEMPORAL_NAMESPACE = "default"
DEFAULT_CODEC_ORIGINS = frozenset({"http://localhost:8233", "http://localhost:8080"})  # dev server's UI, standalone UI
GRPC_META_PREFIX = "TEMPORAL_GRPC_META_"  # envconfig's gRPC headers: TEMPORAL_GRPC_META_SOME_KEY is some-key
# Today's names that Temporal's standard names replace: read for one more release, with a warning.
LEGACY_ALIASES = {
    "TEMPORAL_TLS_CERT": "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_KEY": "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_CA": "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
}

# The fields that configure the Temporal client, handed to envconfig under their standard names.
CLIENT_FIELDS = (
    "temporal_config_file", "temporal_profile", "temporal_address_env", "temporal_namespace_env", "temporal_api_key",
    "temporal_tls", "temporal_tls_client_cert_path", "temporal_tls_client_cert_data", "temporal_tls_client_key_path",
    "temporal_tls_client_key_data", "temporal_tls_server_ca_cert_path", "temporal_tls_server_ca_cert_data",
    "temporal_tls_server_name",
)  # fmt: skip

log = logging.getLogger(__name__)


def env(name: str) -> AliasChoices:
    """The environment variable a field reads (names are fixed by the README, not derived from field names); a
    standard Temporal name also reads its deprecated alias, the standard name first."""
    return AliasChoices(name, *(old for old, new in LEGACY_ALIASES.items() if new == name))


def sqlite_url(folder: Path) -> str:
    """The store when `DATABASE_URL` is unset: a SQLite file in `folder` (the var folder; a test worker's own)."""
    return f"sqlite:///{folder / DATABASE_FILE}"


class ConfigError(ValueError):
    """A configuration variable is malformed."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True, env_ignore_empty=True)

    # Temporal: what the Temporal CLI reads (temporalio.envconfig), a profile of a TOML file and the standard
    # variables over it; the resolved client is `temporal_address`, `temporal_namespace`, `client_connect_config()`.
    # Nothing set anywhere: a dev server on localhost:7233. These fields hold the variables only (unset: None).
    temporal_config_file: Path | None = Field(default=None, validation_alias=env("TEMPORAL_CONFIG_FILE"))
    temporal_profile: str | None = Field(default=None, validation_alias=env("TEMPORAL_PROFILE"))
    temporal_address_env: str | None = Field(default=None, validation_alias=env("TEMPORAL_ADDRESS"))
    temporal_namespace_env: str | None = Field(default=None, validation_alias=env("TEMPORAL_NAMESPACE"))
    temporal_api_key: SecretStr | None = Field(default=None, validation_alias=env("TEMPORAL_API_KEY"))
    temporal_tls: bool | None = Field(default=None, validation_alias=env("TEMPORAL_TLS"))
    temporal_tls_client_cert_path: Path | None = Field(
        default=None, validation_alias=env("TEMPORAL_TLS_CLIENT_CERT_PATH")
    )
    temporal_tls_client_cert_data: str | None = Field(
        default=None, validation_alias=env("TEMPORAL_TLS_CLIENT_CERT_DATA")
    )
    temporal_tls_client_key_path: Path | None = Field(
        default=None, validation_alias=env("TEMPORAL_TLS_CLIENT_KEY_PATH")
    )
    temporal_tls_client_key_data: SecretStr | None = Field(
        default=None, validation_alias=env("TEMPORAL_TLS_CLIENT_KEY_DATA")
    )
    temporal_tls_server_ca_cert_path: Path | None = Field(
        default=None, validation_alias=env("TEMPORAL_TLS_SERVER_CA_CERT_PATH")
    )
    temporal_tls_server_ca_cert_data: str | None = Field(
        default=None, validation_alias=env("TEMPORAL_TLS_SERVER_CA_CERT_DATA")
    )
    temporal_tls_server_name: str | None = Field(default=None, validation_alias=env("TEMPORAL_TLS_SERVER_NAME"))
    task_queue: str = Field(default=TASK_QUEUE, validation_alias=env("COLLECTIONS_TASK_QUEUE"))
    ui_port: int = Field(default=8233, validation_alias=env("TEMPORAL_UI_PORT"))

    # Our processes.
    api_host: str = Field(
        default="127.0.0.1", min_length=1, validation_alias=env("COLLECTIONS_API_HOST"),
        description="the interface `python -m api` listens on",
    )  # fmt: skip
    api_port: int = Field(default=8000, validation_alias=env("COLLECTIONS_API_PORT"))
    var_dir: Path = Field(default=DEFAULT_VAR, validation_alias=env("COLLECTIONS_VAR_DIR"))
    # Unset: under var_dir (the properties below).
    database_url_env: str | None = Field(default=None, validation_alias=env("DATABASE_URL"))
    legal_dir_env: Path | None = Field(default=None, validation_alias=env("COLLECTIONS_LEGAL_DIR"))
    outbox_dir_env: Path | None = Field(default=None, validation_alias=env("COLLECTIONS_OUTBOX_DIR"))
    policy_dir: Path = Field(default=ROOT / "policies", validation_alias=env("COLLECTIONS_POLICY_DIR"))
    creditor_dir: Path | None = Field(
        default=None, validation_alias=env("COLLECTIONS_CREDITOR_DIR"),
        description="the creditor profiles (one TOML file per entity); unset: the worker refuses to start, but with "
        "--dev-server, where the example in examples/creditors signs",
    )  # fmt: skip
    log_format: Literal["text", "json"] = Field(default="text", validation_alias=env("COLLECTIONS_LOG_FORMAT"))
    metrics_port: int | None = Field(
        default=None, validation_alias=env("COLLECTIONS_METRICS_PORT"), description="Prometheus /metrics; unset: off"
    )
    metrics_host: str = Field(
        default="127.0.0.1", min_length=1, validation_alias=env("COLLECTIONS_METRICS_HOST"),
        description="the interface /metrics listens on: the loopback unless a scraper elsewhere needs it",
    )  # fmt: skip
    encryption_keys: SecretStr | None = Field(
        default=None, validation_alias=env(ENCRYPTION_KEYS_ENV), description="id=base64key,... first: current"
    )
    operator_key: SecretStr | None = Field(
        default=None, validation_alias=env("COLLECTIONS_KEY"),
        description="the command lines' key: who gives their commands (a person's key, or a machine key)",
    )  # fmt: skip
    codec_cors_origins: Annotated[frozenset[str], NoDecode] = Field(
        default=DEFAULT_CODEC_ORIGINS, validation_alias=env("COLLECTIONS_CODEC_CORS_ORIGINS"),
        description="the Web UI origins the codec endpoint answers, comma-separated",
    )  # fmt: skip

    # Worker tuning (None: the SDK's defaults).
    max_concurrent_activities: int | None = Field(default=None, ge=1, validation_alias=env("WORKER_MAX_ACTIVITIES"))
    max_concurrent_workflow_tasks: int | None = Field(
        default=None, ge=2, validation_alias=env("WORKER_MAX_WORKFLOW_TASKS")
    )
    max_cached_workflows: int | None = Field(default=None, ge=0, validation_alias=env("WORKER_MAX_CACHED_WORKFLOWS"))
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
    # Unset COURIER_URL: letters go to the print queue (the file channel), and the mailroom records their tracking.
    courier_url: str | None = Field(default=None, validation_alias=env("COURIER_URL"))
    courier_auth_value: SecretStr = Field(default=SecretStr(""), validation_alias=env("COURIER_AUTH_VALUE"))
    courier_auth_header: str = Field(default="Authorization", validation_alias=env("COURIER_AUTH_HEADER"))

    # The Temporal client profile: the TOML file's, with the variables above applied over it (set at validation).
    _client_profile: ClientConfigProfile = PrivateAttr(default_factory=ClientConfigProfile)

    @field_validator("codec_cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):  # comma-separated; a trailing slash is not part of an origin
            return frozenset(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())
        return value

    @model_validator(mode="after")
    def _load_client_profile(self) -> "Settings":
        """The profile as the Temporal CLI would load it from the same variables: loaded here, so that a missing
        file, an unknown profile or a malformed TOML stops the process at start, by name."""
        if self.temporal_config_file is not None and not self.temporal_config_file.is_file():
            raise ValueError(f"TEMPORAL_CONFIG_FILE: {self.temporal_config_file} is not a file")
        try:
            profile = ClientConfigProfile.load(override_env_vars=self.client_environment())
        except RuntimeError as error:  # envconfig's ConfigError; its first line never quotes the file's content
            named = {"TEMPORAL_CONFIG_FILE": self.temporal_config_file, "TEMPORAL_PROFILE": self.temporal_profile}
            where = ", ".join(f"{name} {value}" for name, value in named.items() if value is not None)
            where = f" ({where})" if where else ""
            raise ValueError(f"Temporal client configuration{where}: {str(error).splitlines()[0]}") from None
        tls = profile.tls
        if tls is not None and (tls.client_cert is None) != (tls.client_private_key is None):
            raise ValueError(
                "a TLS client certificate and its key go together: set both or neither"
                " (TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH, formerly TEMPORAL_TLS_CERT and"
                " TEMPORAL_TLS_KEY; or client_cert_path and client_key_path in the profile's tls table)"
            )
        self._client_profile = profile
        return self

    def client_environment(self) -> dict[str, str]:
        """The standard variables as envconfig reads them, from these settings: deprecated aliases under their
        standard names, empty values left out (they count as unset here), plus any TEMPORAL_GRPC_META_*."""
        environment = {name: value for name, value in os.environ.items() if name.startswith(GRPC_META_PREFIX)}
        for field in CLIENT_FIELDS:
            value = getattr(self, field)
            if value is None:
                continue
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            alias = type(self).model_fields[field].validation_alias
            standard = alias.choices[0] if isinstance(alias, AliasChoices) else alias
            environment[str(standard)] = str(value).lower() if isinstance(value, bool) else str(value)
        return environment

    @property
    def temporal_address(self) -> str:
        """The frontend the client connects to (and where `worker.py --dev-server` starts the dev server)."""
        return self._client_profile.address or DEFAULT_TEMPORAL_ADDRESS

    @property
    def temporal_namespace(self) -> str:
        return self._client_profile.namespace or DEFAULT_TEMPORAL_NAMESPACE

    def client_connect_config(self) -> ClientConnectConfig:
        """`Client.connect`'s arguments from the profile (target host, namespace, API key, TLS, gRPC metadata). TLS
        files are read here: a file that cannot be read is a ConfigError naming it."""
        try:
            config = self._client_profile.to_client_connect_config()
        except OSError as error:
            raise ConfigError(f"invalid configuration: cannot read {error.filename}: {error.strerror}") from None
        config["target_host"] = self.temporal_address
        config["namespace"] = self.temporal_namespace
        return config

    @property
    def database_url(self) -> str:
        """`DATABASE_URL`, else the SQLite file under the var folder: the one default of the store's location."""
        return self.database_url_env or sqlite_url(self.var_dir)

    @property
    def legal_dir(self) -> Path:
        return self.legal_dir_env or self.var_dir / "legal"

    @property
    def outbox_dir(self) -> Path:
        return self.outbox_dir_env or self.var_dir / "outbox"

    def creditors(self, development: bool = False) -> CreditorBook:
        """The creditor profiles, or ConfigError. Unset, development (`--dev-server`) signs with the example."""
        folder = self.creditor_dir
        if folder is None:
            if not development:
                raise ConfigError("COLLECTIONS_CREDITOR_DIR is not set: letters, emails and SMS are signed with a "
                                  "creditor's profile (see docs/creditors.md and examples/creditors/)")  # fmt: skip
            log.warning("COLLECTIONS_CREDITOR_DIR is not set: messages are signed by the example creditor in %s",
                        EXAMPLE_CREDITORS)  # fmt: skip
            folder = EXAMPLE_CREDITORS
        try:
            return CreditorBook(folder)
        except ValueError as error:
            raise ConfigError(f"COLLECTIONS_CREDITOR_DIR: {error}") from None

    def policies(self) -> PolicyBook:
        """The policies, checked against the creditor profiles where they are configured here."""
        known = frozenset(CreditorBook(self.creditor_dir).by_id) if self.creditor_dir else None
        return PolicyBook(self.policy_dir, creditors=known)

    @classmethod
    def from_env(cls) -> "Settings":
        """The settings, or ConfigError naming each bad variable (never echoing values: some are secrets)."""
        try:
            settings = cls()
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}".removeprefix(": ")
                for e in error.errors(include_input=False, include_url=False)
            )
            raise ConfigError(f"invalid configuration: {problems}") from None
        for old, new in deprecated_variables().items():
            also = f" ({old} is ignored: {new} is set)" if os.environ.get(new) else ""
            log.warning("%s is deprecated and will stop working in the next release: use %s%s", old, new, also)
        return settings

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

    @property
    def courier(self) -> HttpSettings | None:
        """None: letters go to the print queue (the file channel)."""
        if not self.courier_url:
            return None
        return HttpSettings(url=self.courier_url, auth_header_value=self.courier_auth_value.get_secret_value(),
                            auth_header_name=self.courier_auth_header)  # fmt: skip

    def tls(self) -> TLSConfig | bool:
        """envconfig's rules: the TLS settings when any are given (mTLS with a client certificate, a CA, a server
        name; TEMPORAL_TLS=false turns it off), else TLS with an API key (Temporal Cloud), else plain (a dev
        server)."""
        return self.client_connect_config().get("tls", False)

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
        return await Client.connect(**self.client_connect_config(), data_converter=converter, runtime=runtime)


def deprecated_variables() -> dict[str, str]:
    """The deprecated aliases set in the environment, each with the standard name that replaces it."""
    return {old: new for old, new in LEGACY_ALIASES.items() if os.environ.get(old)}


def exit_now(code: int) -> NoReturn:
    """Leave a command-line process without interpreter finalization: the Temporal client's native threads can
    abort it ("PyGILState_Release ... finalizing", temporalio/sdk-python#300), turning a clean exit into a crash."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
