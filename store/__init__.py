"""The system of record: SQLModel tables, Alembic migrations, and a `Store` with idempotent writes."""

from store.db import DEFAULT_URL, alembic_config, database_url, make_engine, migrate
from store.models import Account, ContactLog, Document, Invoice, LegalCase, Message, Payment, Task
from store.repository import Conflict, NotFound, Store

__all__ = [
    "DEFAULT_URL",
    "Account",
    "Conflict",
    "ContactLog",
    "Document",
    "Invoice",
    "LegalCase",
    "Message",
    "NotFound",
    "Payment",
    "Store",
    "Task",
    "alembic_config",
    "database_url",
    "make_engine",
    "migrate",
]
