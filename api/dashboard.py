"""Server-rendered pages for supervisors (filled in by the dashboard work)."""

from fastapi import APIRouter

router = APIRouter()
