"""Configuration from the environment: defaults, derived paths, clear errors that never echo a secret; the Temporal
client as the Temporal CLI configures it (temporalio.envconfig: TOML profiles, standard variables over them, today's
names as deprecated aliases); one default for the database, in Settings."""

import base64
import logging
import subprocess
import textwrap
import uuid
from pathlib import Path
from typing import Any, cast

import pytest
import uvicorn
from pydantic import SecretStr
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

import api.__main__
from api.app import create_app
from codec import EncryptionCodec
from settings import CLIENT_FIELDS, LEGACY_ALIASES, ConfigError, Settings
from store.repository import Store
from tests.conftest import BIN
from worker import build_worker

VARIABLES = ["DATABASE_URL", "COLLECTIONS_VAR_DIR", "COLLECTIONS_LEGAL_DIR", "SMTP_HOST", "SMS_URL", "TEMPORAL_API_KEY"]
# Every variable of the Temporal client, standard and deprecated, cleared for each test.
TEMPORAL = [
    *(str(Settings.model_fields[field].validation_alias.choices[0]) for field in CLIENT_FIELDS),  # type: ignore[union-attr]
    *LEGACY_ALIASES,
]
PROFILES = """
    [profile.default]
    address = "from-default-profile:7233"

    [profile.staging]
    address = "staging.example.com:7233"
    namespace = "collections-staging"
    api_key = "staging-key"
"""


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [*VARIABLES, *TEMPORAL, "WORKER_MAX_ACTIVITIES", "SMTP_PASSWORD", "COLLECTIONS_CODEC_CORS_ORIGINS"]:
        monkeypatch.delenv(name, raising=False)
    # The CLI's default file (~/.config/temporalio/temporal.toml) of whoever runs the tests plays no part here.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def toml(tmp_path: Path, text: str = PROFILES) -> Path:
    path = tmp_path / "temporal.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_embedded_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLLECTIONS_VAR_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert (settings.temporal_address, settings.temporal_namespace) == ("localhost:7233", "default")
    assert settings.tls() is False
    assert settings.client_connect_config() == {"target_host": "localhost:7233", "namespace": "default"}
    assert settings.database_url == f"sqlite:///{tmp_path / 'collections.db'}"
    assert (settings.legal_dir, settings.outbox_dir) == (tmp_path / "legal", tmp_path / "outbox")
    assert settings.smtp is None and settings.sms is None and settings.worker_options() == {}
    assert settings.codec_cors_origins == {"http://localhost:8233", "http://localhost:8080"}
    assert (settings.api_host, settings.api_port) == ("127.0.0.1", 8000)


def test_variables_override_and_empty_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/collections")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    monkeypatch.setenv("SMS_URL", "")
    monkeypatch.setenv("WORKER_MAX_ACTIVITIES", "50")
    monkeypatch.setenv("TEMPORAL_API_KEY", "cloud-key")
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", "")  # as the compose file passes what is not set
    settings = Settings.from_env()
    assert settings.database_url == "postgresql+psycopg://u@db/collections"
    assert settings.smtp is not None and settings.smtp.starttls is False and settings.sms is None
    assert settings.worker_options() == {"max_concurrent_activities": 50}
    assert settings.tls() is True  # an API key (Temporal Cloud) always goes over TLS
    assert settings.client_connect_config()["api_key"] == "cloud-key"


def test_errors_name_the_variable_and_never_echo_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("WORKER_MAX_ACTIVITIES", "many")
    with pytest.raises(ConfigError, match="WORKER_MAX_ACTIVITIES: Input should be a valid integer") as error:
        Settings.from_env()
    assert "hunter2" not in str(error.value)
    monkeypatch.delenv("WORKER_MAX_ACTIVITIES")
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", "/etc/temporal/client.pem")
    with pytest.raises(ConfigError, match="TLS client certificate and its key go together"):
        Settings.from_env()
    monkeypatch.setenv("TEMPORAL_TLS", "maybe")
    with pytest.raises(ConfigError, match="TEMPORAL_TLS: Input should be a valid boolean"):
        Settings.from_env()


def test_metrics_listen_on_the_loopback_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLLECTIONS_METRICS_HOST", raising=False)
    assert Settings.from_env().metrics_host == "127.0.0.1"
    monkeypatch.setenv("COLLECTIONS_METRICS_HOST", "0.0.0.0")
    assert Settings.from_env().metrics_host == "0.0.0.0"


# The Temporal client: TOML profiles and the standard variables (temporalio.envconfig).


def test_a_profile_of_the_config_file_gives_the_client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(toml(tmp_path)))
    default = Settings.from_env()  # no TEMPORAL_PROFILE: the file's `default` profile
    assert (default.temporal_address, default.temporal_namespace) == ("from-default-profile:7233", "default")
    assert default.tls() is False

    monkeypatch.setenv("TEMPORAL_PROFILE", "staging")
    staging = Settings.from_env()
    assert staging.client_connect_config() == {
        "target_host": "staging.example.com:7233",
        "namespace": "collections-staging",
        "api_key": "staging-key",
        "tls": True,  # an API key turns TLS on, as the CLI does
    }


def test_the_clis_default_file_is_read_when_no_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    default_file = tmp_path / "config" / "temporalio" / "temporal.toml"
    default_file.parent.mkdir(parents=True)
    default_file.write_text(textwrap.dedent(PROFILES))
    monkeypatch.setenv("TEMPORAL_PROFILE", "staging")
    assert Settings.from_env().temporal_namespace == "collections-staging"


def test_standard_variables_override_the_profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(toml(tmp_path)))
    monkeypatch.setenv("TEMPORAL_PROFILE", "staging")
    monkeypatch.setenv("TEMPORAL_ADDRESS", "override.example.com:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "collections-override")
    monkeypatch.setenv("TEMPORAL_GRPC_META_X_TEAM", "receivables")
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"the CA")
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(ca))
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_NAME", "frontend.internal")
    settings = Settings.from_env()
    config = settings.client_connect_config()
    assert (config["target_host"], config["namespace"]) == ("override.example.com:7233", "collections-override")
    assert (settings.temporal_address, settings.temporal_namespace) == (config["target_host"], config["namespace"])
    assert config["api_key"] == "staging-key"  # what the variables do not name stays the profile's
    assert config["rpc_metadata"] == {"x-team": "receivables"}
    assert config["tls"] == TLSConfig(server_root_ca_cert=b"the CA", domain="frontend.internal")

    monkeypatch.setenv("TEMPORAL_TLS", "false")  # the CLI's switch, even with an API key
    assert Settings.from_env().tls() is False


def test_client_certificates_by_path_or_by_content(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "client.pem").write_bytes(b"the certificate")
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_CERT_PATH", str(tmp_path / "client.pem"))
    monkeypatch.setenv("TEMPORAL_TLS_CLIENT_KEY_DATA", "the key")
    assert Settings.from_env().tls() == TLSConfig(client_cert=b"the certificate", client_private_key=b"the key")

    # The same in a profile (the CLI's keys), the variables unset.
    monkeypatch.delenv("TEMPORAL_TLS_CLIENT_CERT_PATH")
    monkeypatch.delenv("TEMPORAL_TLS_CLIENT_KEY_DATA")
    profile = f"""
        [profile.default.tls]
        client_cert_path = "{tmp_path / "client.pem"}"
        client_key_data = "the key"
    """
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(toml(tmp_path, profile)))
    assert Settings.from_env().tls() == TLSConfig(client_cert=b"the certificate", client_private_key=b"the key")
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(toml(tmp_path, profile.replace("client_key_data", "# no key"))))
    with pytest.raises(ConfigError, match="client_cert_path and client_key_path in the profile's tls table"):
        Settings.from_env()


def test_deprecated_names_still_work_and_say_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name, content in [("TEMPORAL_TLS_CERT", b"cert"), ("TEMPORAL_TLS_KEY", b"key"), ("TEMPORAL_TLS_CA", b"ca")]:
        (tmp_path / name).write_bytes(content)
        monkeypatch.setenv(name, str(tmp_path / name))
    with caplog.at_level(logging.WARNING, logger="settings"):
        settings = Settings.from_env()
    assert settings.tls() == TLSConfig(client_cert=b"cert", client_private_key=b"key", server_root_ca_cert=b"ca")
    warned = " ".join(record.getMessage() for record in caplog.records)
    for old, new in LEGACY_ALIASES.items():
        assert f"{old} is deprecated" in warned and new in warned

    # Both names: the standard one wins, and the warning says the old one is ignored.
    caplog.clear()
    (tmp_path / "new-ca.pem").write_bytes(b"new ca")
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(tmp_path / "new-ca.pem"))
    with caplog.at_level(logging.WARNING, logger="settings"):
        settings = Settings.from_env()
    tls = settings.tls()
    assert isinstance(tls, TLSConfig) and tls.server_root_ca_cert == b"new ca"
    assert "TEMPORAL_TLS_CA is ignored: TEMPORAL_TLS_SERVER_CA_CERT_PATH is set" in caplog.text

    # The deprecated pair is checked as today's was.
    monkeypatch.delenv("TEMPORAL_TLS_KEY")
    with pytest.raises(ConfigError, match="formerly TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY"):
        Settings.from_env()


def test_profile_mistakes_stop_the_process_by_name_and_never_echo_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"TEMPORAL_CONFIG_FILE: .*missing\.toml is not a file"):
        Settings.from_env()

    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(toml(tmp_path)))
    monkeypatch.setenv("TEMPORAL_PROFILE", "production")
    with pytest.raises(ConfigError, match="Profile 'production' not found"):
        Settings.from_env()

    broken = toml(tmp_path, '[profile.default]\napi_key = "hunter2-secret\n')  # an unterminated string
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(broken))
    monkeypatch.delenv("TEMPORAL_PROFILE")
    with pytest.raises(ConfigError, match="TOML parse error at line 2") as error:
        Settings.from_env()
    assert "hunter2" not in str(error.value)

    monkeypatch.delenv("TEMPORAL_CONFIG_FILE")
    monkeypatch.setenv("TEMPORAL_TLS_SERVER_CA_CERT_PATH", str(tmp_path / "no-such-ca.pem"))
    settings = Settings.from_env()  # the file is read when connecting, as the SDK does
    with pytest.raises(ConfigError, match=r"cannot read .*no-such-ca\.pem"):
        settings.tls()


async def test_a_profile_connects(
    dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A profile written by the Temporal CLI (`temporal config set`), selected by name, reaches the dev server with
    the project's data converter."""
    address, config_file = dev_env.client.service_client.config.target_host, tmp_path / "cli.toml"
    for prop, value in [("address", address), ("namespace", dev_env.client.namespace)]:
        command = ["config", "set", "--config-file", str(config_file), "--profile", "dev", "--prop", prop]
        subprocess.run([str(BIN / "temporal"), *command, "--value", value], check=True, timeout=30)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(config_file))
    monkeypatch.setenv("TEMPORAL_PROFILE", "dev")
    client = await Settings.from_env().connect()
    assert (client.service_client.config.target_host, client.namespace) == (address, dev_env.client.namespace)
    assert client.data_converter is pydantic_data_converter
    assert await client.count_workflows("WorkflowType = 'NoSuchWorkflow'") is not None

    keys = SecretStr(f"k1={base64.b64encode(bytes(32)).decode()}")
    encrypted = await Settings.from_env().model_copy(update={"encryption_keys": keys}).connect()
    assert isinstance(encrypted.data_converter.payload_codec, EncryptionCodec)  # with keys, the codec as before


# One default for the database: Settings'. The store and the API take the URL they are given.


async def test_without_database_url_everything_uses_the_settings_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COLLECTIONS_VAR_DIR", str(tmp_path / "var"))
    settings = Settings.from_env()
    app = create_app(settings, client=cast(Client, object()))
    async with app.router.lifespan_context(app):
        store = cast(Store, app.state.store)
        assert store.engine.url.database == str(tmp_path / "var" / "collections.db")
        assert settings.database_url == f"sqlite:///{store.engine.url.database}"
    assert (tmp_path / "var" / "collections.db").is_file()

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'configured.db'}")
    configured = Settings.from_env()
    app = create_app(configured, client=cast(Client, object()))
    async with app.router.lifespan_context(app):
        assert cast(Store, app.state.store).engine.url.database == str(tmp_path / "configured.db")


async def test_a_worker_built_without_a_url_reads_no_variable(
    dev_env: WorkflowEnvironment, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`run_worker` hands it `Settings.database_url`; built without one (tests, benchmarks) its store is Settings'
    SQLite file in its own folder, never what DATABASE_URL says."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'not-this.db'}")
    async with build_worker(dev_env.client, tmp_path / "outbox", task_queue=f"settings-{uuid.uuid4().hex[:8]}"):
        pass
    assert (tmp_path / "outbox" / "collections.db").is_file() and not (tmp_path / "not-this.db").exists()


def test_python_m_api_is_configured_by_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    monkeypatch.setenv("COLLECTIONS_API_HOST", "0.0.0.0")
    monkeypatch.setenv("COLLECTIONS_API_PORT", "8123")
    monkeypatch.setenv("COLLECTIONS_CODEC_CORS_ORIGINS", "https://ui.example.com/")
    api.__main__.main()
    assert (served["host"], served["port"]) == ("0.0.0.0", 8123)
    assert served["app"].state.settings.codec_cors_origins == {"https://ui.example.com"}

    monkeypatch.setenv("COLLECTIONS_API_PORT", "eighty")
    with pytest.raises(SystemExit, match="COLLECTIONS_API_PORT: Input should be a valid integer"):
        api.__main__.main()
