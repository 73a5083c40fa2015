"""The system of record: SQLModel tables, Alembic migrations, and a `Store` with idempotent writes and the staff
register."""

from store.db import alembic_config, make_engine, migrate
from store.errors import Conflict, NotFound
from store.models import Account, ApiKey, ContactLog, Document, Invoice, LegalCase, Message, Payment, Staff, Task
from store.repository import Store

__all__ = [
    "Account",
    "ApiKey",
    "Conflict",
    "ContactLog",
    "Document",
    "Invoice",
    "LegalCase",
    "Message",
    "NotFound",
    "Payment",
    "Staff",
    "Store",
    "Task",
    "alembic_config",
    "make_engine",
    "migrate",
]
