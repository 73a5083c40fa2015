"""`python -m api`: the API on COLLECTIONS_API_HOST:COLLECTIONS_API_PORT (default 127.0.0.1:8000)."""

import os

import uvicorn

if __name__ == "__main__":
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=os.environ.get("COLLECTIONS_API_HOST", "127.0.0.1"),
        port=int(os.environ.get("COLLECTIONS_API_PORT", "8000")),
    )
