"""The HTTP API of the collections orchestrator (FastAPI), versioned under /v1; OpenAPI at /docs.

Run it with `uvicorn api.app:create_app --factory` (or `python -m api`), beside a worker. See `api.app`.
"""
