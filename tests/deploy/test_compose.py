"""The production stack (docker-compose.yml and the Dockerfile), checked without a Docker engine.

`docker-compose config` must accept the file: Debian bookworm's docker-compose 1.29.2 (Compose v1, which reads the
Compose Specification without a `version:` key). What it resolves is then checked: pinned images, ports, start
order, health checks, and an environment that settings.Settings reads and accepts.
"""

import re
from typing import Any

import pytest
from pydantic import AliasChoices
from sqlalchemy.engine import make_url

from api import auth
from settings import Settings
from tests.deploy.compose import REPO, compose_config
from worker import SEARCH_ATTRIBUTE_TYPES
from workflows import SEARCH_ATTRIBUTES

APPS = ("worker", "api")
# An exact version (16.11, 1.32.0), not a moving name (latest, 16, stable).
PINNED_TAG = re.compile(r"\d+\.\d+(\.\d+)?")
LETTER_PACKAGES = ("fonts-noto-cjk",)  # what Typst needs beyond its wheel: the font of Chinese letters


def settings_variables() -> set[str]:
    """Every environment variable the application reads: the Settings fields' aliases, and the API keys."""
    names = {auth.ENV}
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.update(alias.choices if isinstance(alias, AliasChoices) else [alias])
    return {name for name in names if isinstance(name, str)}


def published_ports(service: dict[str, Any]) -> dict[int, int]:
    """{host port: container port}; Compose writes a port as a mapping or as `[ip:]host:container[/proto]`."""
    ports = {}
    for port in service.get("ports", []):
        if isinstance(port, dict):
            ports[int(port["published"])] = int(port["target"])
        else:
            *_, host, container = str(port).split("/")[0].split(":")
            ports[int(host)] = int(container)
    return ports


def healthcheck(service: dict[str, Any]) -> str:
    test = service.get("healthcheck", {}).get("test", [])
    return " ".join(test) if isinstance(test, list) else test


def test_services(services):
    assert set(services) == {
        "postgresql", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui", "worker", "api",
    }  # fmt: skip


def test_images_are_pinned(services):
    pulled = {name: service["image"] for name, service in services.items() if "build" not in service}
    for name, image in pulled.items():
        repository, _, tag = image.rpartition(":")
        assert repository and PINNED_TAG.fullmatch(tag), f"{name}: {image} is not pinned to a version"
    assert pulled["temporal"].startswith("temporalio/server:")  # not the deprecated auto-setup image
    # The schema tools must be those of the server they prepare.
    server = pulled["temporal"].rpartition(":")[2]
    assert {pulled["temporal-schema"], pulled["temporal-namespace"]} == {f"temporalio/admin-tools:{server}"}
    # Worker and API: one image, built from the root Dockerfile.
    assert {services[app]["build"]["context"] for app in APPS} == {str(REPO)}
    assert len({services[app]["image"] for app in APPS}) == 1


def test_dockerfile():
    dockerfile = (REPO / "Dockerfile").read_text()
    bases = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert bases and all(re.fullmatch(r"python:3\.11\.\d+-slim-bookworm", base) for base in bases), bases
    for package in LETTER_PACKAGES:  # the same as the development machines get
        assert package in dockerfile and package in (REPO / "scripts/system-deps.sh").read_text(), package
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var", ".pytest_cache", ".hypothesis"} <= set(ignored)


def test_ports(services):
    assert published_ports(services["api"]) == {8000: 8000}
    assert published_ports(services["temporal-ui"]) == {8080: 8080}
    assert published_ports(services["temporal"]) == {7233: 7233}
    assert published_ports(services["postgresql"]) == {}
    # `--scale worker=N`: a fixed host port or container name would make the second worker fail to start.
    assert published_ports(services["worker"]) == {}
    worker = services["worker"]  # its metrics reach a scraper in the stack only
    assert worker["environment"]["COLLECTIONS_METRICS_PORT"] in worker["expose"]
    assert worker["environment"]["COLLECTIONS_METRICS_HOST"] == "0.0.0.0"  # the loopback is the default
    assert [name for name, service in services.items() if "container_name" in service] == []


def test_start_order(services):
    healthy, done = "service_healthy", "service_completed_successfully"
    app = {"postgresql": healthy, "temporal-namespace": done}
    order = {
        name: {dependency: how["condition"] for dependency, how in service.get("depends_on", {}).items()}
        for name, service in services.items()
    }
    assert order == {
        "postgresql": {},
        "temporal-schema": {"postgresql": healthy},
        "temporal": {"temporal-schema": done},
        "temporal-namespace": {"temporal": healthy},
        "temporal-ui": {"temporal": healthy},
        "worker": app,
        "api": app,
    }
    for dependencies in order.values():  # waiting for health needs a health check
        for dependency in (name for name, condition in dependencies.items() if condition == healthy):
            assert healthcheck(services[dependency]), f"{dependency} has no health check"


def test_healthchecks(services):
    assert "pg_isready" in healthcheck(services["postgresql"])
    assert "7233" in healthcheck(services["temporal"])
    assert "127.0.0.1:8000/readyz" in healthcheck(services["api"])


@pytest.mark.parametrize("app", APPS)
def test_app_environment(services, app, monkeypatch):
    environment = services[app]["environment"]
    assert set(environment) <= settings_variables(), "variables that nothing reads"
    assert {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "DATABASE_URL"} <= set(environment)
    assert environment["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert environment["COLLECTIONS_LOG_FORMAT"] == "json"
    # The creditor profiles: mounted read-only where the setting points (no example creditor in production).
    assert environment["COLLECTIONS_CREDITOR_DIR"] == "/etc/collections/creditors"
    [mount] = [str(v) for v in services[app]["volumes"] if "/etc/collections/creditors" in str(v)]
    assert "/creditors" in mount and ("ro" in mount or "read_only" in mount), mount
    url = make_url(environment["DATABASE_URL"])
    assert (url.drivername, url.host, url.database) == ("postgresql+psycopg", "postgresql", "collections")
    # What the process will do with it: Settings accepts it as it is (empty values count as unset).
    for name in settings_variables():
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value or "")
    settings = Settings.from_env()
    assert settings.database_url == environment["DATABASE_URL"]


def test_api_keys_are_required(services):
    """Unset, COLLECTIONS_API_KEYS is blank and the API refuses to start: never the development keys here."""
    assert auth.ENV in services["api"]["environment"]
    with pytest.raises(ValueError, match="names no key"):
        auth.load_keys(services["api"]["environment"])
    given = compose_config({auth.ENV: "k1=ops,k2=supervisor"})["services"]["api"]["environment"]
    assert auth.load_keys(given) == {"k1": "ops", "k2": "supervisor"}


def test_worker_stops_gracefully(services):
    """Docker must wait longer than the worker lets in-flight activities finish."""
    worker = services["worker"]
    grace = float(worker["environment"]["WORKER_SHUTDOWN_GRACE"])
    assert int(worker["stop_grace_period"].removesuffix("s")) > grace


OVERRIDES = {
    "POSTGRES_USER": "pg-admin",
    "POSTGRES_PASSWORD": "pw-temporal",
    "COLLECTIONS_DB_PASSWORD": "pw-collections",
    "TEMPORAL_NAMESPACE": "books",
}


@pytest.mark.parametrize("overrides", [{}, OVERRIDES], ids=["defaults", "overridden"])
def test_services_agree_on_credentials_and_namespace(overrides):
    """The same PostgreSQL login and Temporal namespace everywhere, taken from the environment when it is set."""
    services = compose_config(overrides)["services"]
    postgresql = services["postgresql"]["environment"]
    admin = (postgresql["POSTGRES_USER"], postgresql["POSTGRES_PASSWORD"])
    for service, password in (("temporal-schema", "SQL_PASSWORD"), ("temporal", "POSTGRES_PWD")):
        environment = services[service]["environment"]
        assert (environment["POSTGRES_USER"], environment[password]) == admin, service
    urls = {make_url(services[app]["environment"]["DATABASE_URL"]) for app in APPS}
    assert {(url.username, url.password) for url in urls} == {("collections", postgresql["COLLECTIONS_DB_PASSWORD"])}
    namespaces = {services[app]["environment"]["TEMPORAL_NAMESPACE"] for app in (*APPS, "temporal-namespace")}
    namespaces.add(services["temporal-ui"]["environment"]["TEMPORAL_DEFAULT_NAMESPACE"])
    assert len(namespaces) == 1
    if overrides:
        assert admin == (OVERRIDES["POSTGRES_USER"], OVERRIDES["POSTGRES_PASSWORD"])
        assert postgresql["COLLECTIONS_DB_PASSWORD"] == OVERRIDES["COLLECTIONS_DB_PASSWORD"]
        assert namespaces == {OVERRIDES["TEMPORAL_NAMESPACE"]}


def test_search_attributes_are_the_workflows(services):
    """The namespace step registers exactly workflows.SEARCH_ATTRIBUTES, each with its type."""
    declared = [item.split("=") for item in services["temporal-namespace"]["environment"]["SEARCH_ATTRIBUTES"].split()]
    expected = {key.name: SEARCH_ATTRIBUTE_TYPES[key.indexed_value_type] for key in SEARCH_ATTRIBUTES}
    assert dict(declared) == expected and len(declared) == len(expected)


@pytest.mark.parametrize("service", ["temporal-schema", "temporal-namespace"])
def test_one_shot_scripts_are_mounted(services, service):
    """The one-shot containers run a script of deploy/ that the bind mount really brings in."""
    (script,) = services[service]["command"]
    mounts = dict(volume.split(":")[1::-1] for volume in services[service]["volumes"])  # {target: source}
    folder, _, name = script.rpartition("/")
    assert (REPO / "deploy" / "temporal").samefile(mounts[folder])
    assert (REPO / "deploy" / "temporal" / name).is_file()
