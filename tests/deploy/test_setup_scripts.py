"""The setup scripts of deploy/, run for real outside Docker: the namespace step with the `temporal` CLI against the
dev server (admin-tools runs the same CLI commands), the database step with psql against a throwaway PostgreSQL."""

import asyncio
import os
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from store.db import make_engine, migrate
from tests.conftest import BIN
from tests.deploy.compose import REPO, compose_config
from tests.postgres import postgres_server
from worker import missing_search_attributes
from workflows import SEARCH_ATTRIBUTES

NAMESPACE_SCRIPT = REPO / "deploy/temporal/setup-namespace.sh"
DATABASE_SCRIPT = REPO / "deploy/postgres/10-collections-database.sh"


def run_script(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", str(script)], env={"PATH": f"{BIN}:{os.environ['PATH']}", **env},
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


@pytest.mark.integration
async def test_namespace_script_registers_the_search_attributes(dev_env: WorkflowEnvironment):
    namespace = f"deploy-{uuid.uuid4().hex[:8]}"
    step = compose_config()["services"]["temporal-namespace"]["environment"]
    env = {
        "TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "TEMPORAL_NAMESPACE": namespace,
        "SEARCH_ATTRIBUTES": step["SEARCH_ATTRIBUTES"],
    }
    for _ in range(2):  # the second run (every `docker compose up`) finds everything in place
        done = await asyncio.to_thread(run_script, NAMESPACE_SCRIPT, env)
        assert done.returncode == 0, done.stdout + done.stderr
    assert await missing_search_attributes(dev_env.client, namespace) == []
    request = ListSearchAttributesRequest(namespace=namespace)
    registered = (await dev_env.client.operator_service.list_search_attributes(request)).custom_attributes
    assert {key.name: registered[key.name] for key in SEARCH_ATTRIBUTES} == {
        key.name: key.indexed_value_type for key in SEARCH_ATTRIBUTES
    }
    # An attribute already registered with another type stops the step (the worker would fail on it).
    env["SEARCH_ATTRIBUTES"] = "CollectionStage=Int"
    conflict = await asyncio.to_thread(run_script, NAMESPACE_SCRIPT, env)
    assert conflict.returncode != 0
    assert "CollectionStage is registered as Keyword, not Int" in conflict.stderr


def test_database_script_creates_the_application_database():
    """The postgres image's init step: a `collections` role owning a `collections` database, where the store's
    migrations run as that role (the application's DATABASE_URL logs in as it)."""
    with postgres_server() as server_url:  # missing PostgreSQL binaries fail the test, as in the store tests
        url = make_url(server_url)
        admin = f"postgresql://postgres@{url.host}:{url.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute("DROP DATABASE collections")  # the helper makes one for the store tests
        env = {
            "PGHOST": url.host, "PGPORT": str(url.port), "POSTGRES_USER": "postgres",
            "COLLECTIONS_DB_PASSWORD": "it's a secret",
        }  # fmt: skip
        done = run_script(DATABASE_SCRIPT, env)
        assert done.returncode == 0, done.stdout + done.stderr
        with psycopg.connect(admin) as connection:
            owner = connection.execute(
                "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'collections'"
            ).fetchone()
            role = connection.execute(
                "SELECT rolcanlogin, rolsuper, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'collections'"
            ).fetchone()
        assert owner == ("collections",)
        assert role == (True, False, True)
        app_url = f"postgresql+psycopg://collections@{url.host}:{url.port}/collections"
        migrate(app_url)
        engine = make_engine(app_url)
        try:
            assert "contact_log" in inspect(engine).get_table_names()
        finally:
            engine.dispose()
