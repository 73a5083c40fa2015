"""`python -m api`: the API on COLLECTIONS_API_HOST:COLLECTIONS_API_PORT (default 127.0.0.1:8000), configured by
`settings.Settings` like every process of the project (a malformed variable stops it at start, by name)."""

import sys

import uvicorn

from api.app import create_app
from settings import ConfigError, Settings


def main() -> None:
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        sys.exit(str(error))
    uvicorn.run(create_app(settings), host=settings.api_host, port=settings.api_port)


if __name__ == "__main__":
    main()
