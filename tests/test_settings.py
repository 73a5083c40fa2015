"""Configuration from the environment: defaults, derived paths, clear errors that never echo a secret."""

from pathlib import Path

import pytest

from settings import ConfigError, Settings

VARIABLES = ["DATABASE_URL", "COLLECTIONS_VAR_DIR", "COLLECTIONS_LEGAL_DIR", "SMTP_HOST", "SMS_URL", "TEMPORAL_API_KEY"]


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [*VARIABLES, "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY", "WORKER_MAX_ACTIVITIES", "SMTP_PASSWORD"]:
        monkeypatch.delenv(name, raising=False)


def test_embedded_defaults_need_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLLECTIONS_VAR_DIR", str(tmp_path))
    settings = Settings.from_env()
    assert settings.temporal_address == "localhost:7233" and settings.tls() is False
    assert settings.database_url == f"sqlite:///{tmp_path / 'collections.db'}"
    assert (settings.legal_dir, settings.outbox_dir) == (tmp_path / "legal", tmp_path / "outbox")
    assert settings.smtp is None and settings.sms is None and settings.worker_options() == {}


def test_variables_override_and_empty_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/collections")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    monkeypatch.setenv("SMS_URL", "")
    monkeypatch.setenv("WORKER_MAX_ACTIVITIES", "50")
    monkeypatch.setenv("TEMPORAL_API_KEY", "cloud-key")
    settings = Settings.from_env()
    assert settings.database_url == "postgresql+psycopg://u@db/collections"
    assert settings.smtp is not None and settings.smtp.starttls is False and settings.sms is None
    assert settings.worker_options() == {"max_concurrent_activities": 50}
    assert settings.tls() is True  # an API key (Temporal Cloud) always goes over TLS


def test_errors_name_the_variable_and_never_echo_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2-secret")
    monkeypatch.setenv("WORKER_MAX_ACTIVITIES", "many")
    with pytest.raises(ConfigError, match="WORKER_MAX_ACTIVITIES: Input should be a valid integer") as error:
        Settings.from_env()
    assert "hunter2" not in str(error.value)
    monkeypatch.delenv("WORKER_MAX_ACTIVITIES")
    monkeypatch.setenv("TEMPORAL_TLS_CERT", "/etc/temporal/client.pem")
    with pytest.raises(ConfigError, match="TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together"):
        Settings.from_env()


def test_metrics_listen_on_the_loopback_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLLECTIONS_METRICS_HOST", raising=False)
    assert Settings.from_env().metrics_host == "127.0.0.1"
    monkeypatch.setenv("COLLECTIONS_METRICS_HOST", "0.0.0.0")
    assert Settings.from_env().metrics_host == "0.0.0.0"
