"""The API tests' offline app serves the dashboard's page tests too."""

from tests.api.conftest import offline_app  # noqa: F401 - the fixture
