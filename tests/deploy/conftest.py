from typing import Any

import pytest

from tests.deploy.compose import compose_config


@pytest.fixture(scope="session")
def services() -> dict[str, dict[str, Any]]:
    """The resolved services of docker-compose.yml, on its defaults."""
    return compose_config()["services"]
