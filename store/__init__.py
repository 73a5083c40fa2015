"""The system of record: SQLModel tables, Alembic migrations, and a `Store` with idempotent writes."""

from store.db import alembic_config, make_engine, migrate
from store.models import Account, ContactLog, Document, Invoice, LegalCase, Message, Payment, Task
from store.repository import Conflict, NotFound, Store

__all__ = [
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
    "make_engine",
    "migrate",
]
