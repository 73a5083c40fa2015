"""What the routes share, kept on `app.state` by `api.app.create_app` and its lifespan, and the dependencies that
hand it to a route. Routes never build clients or stores themselves: tests give the app theirs."""

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from temporalio.client import Client

from api.sessions import Sessions
from domain.policy_book import PolicyBook
from settings import Settings
from store.repository import Store


def _get(request: Request, name: str) -> Any:
    value = getattr(request.app.state, name, None)
    if value is None:  # the lifespan did not run (an ASGI server or test client without lifespan support)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=f"the app is not started: no {name}")
    return value


def get_client(request: Request) -> Client:
    return _get(request, "client")


def get_store(request: Request) -> Store:
    return _get(request, "store")


def get_settings(request: Request) -> Settings:
    return _get(request, "settings")


def get_policies(request: Request) -> PolicyBook:
    return _get(request, "policies")


def get_sessions(request: Request) -> Sessions:
    return _get(request, "sessions")


TemporalClient = Annotated[Client, Depends(get_client)]
SystemOfRecord = Annotated[Store, Depends(get_store)]
AppSettings = Annotated[Settings, Depends(get_settings)]
Policies = Annotated[PolicyBook, Depends(get_policies)]
