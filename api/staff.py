"""`GET /v1/me` (who the key says you are: any key) and `GET /v1/staff` (the staff register, without keys or their
hashes: admins and leads). People and keys are managed with `collections staff` (see `staff.py`)."""

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from api.auth import ADMIN, LEADS, ROLES, Identity, require
from api.state import SystemOfRecord

router = APIRouter(prefix="/v1", tags=["staff"])


class Me(BaseModel):
    username: str
    name: str
    role: str
    team: str | None
    level: str | None = Field(description="the approval level (none: may not approve)")
    machine: bool = Field(description="a machine key of COLLECTIONS_API_KEYS, not a person's")
    by: str = Field(description="what the records say you did things as")


class Person(BaseModel):
    username: str
    name: str
    role: str
    team: str | None
    level: str | None
    active: bool
    created_at: datetime


@router.get("/me", response_model=Me, summary="Who the key is")
async def me(identity: Annotated[Identity, Depends(require(*ROLES))]) -> Me:
    return Me(username=identity.username, name=identity.name, role=identity.role, team=identity.team,
              level=identity.level, machine=identity.machine, by=identity.by)  # fmt: skip


@router.get(
    "/staff",
    response_model=list[Person],
    dependencies=[Depends(require(ADMIN, *LEADS))],
    summary="The staff, by username (no keys)",
)
async def staff(store: SystemOfRecord) -> list[Person]:
    people = await asyncio.to_thread(store.list_staff)
    return [Person(username=p.username, name=p.full_name, role=p.role, team=p.team, level=p.approval_level,
                   active=p.active, created_at=p.created_at) for p in people]  # fmt: skip
