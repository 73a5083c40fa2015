"""Column types that behave the same on SQLite and PostgreSQL, so the store can move between them."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

MONEY_SCALE = Decimal("0.0001")


class Money(TypeDecorator[Decimal]):
    """NUMERIC(18, 4) read back as a Decimal with 4 places on every database.

    SQLite has no decimal type: it keeps the number as a REAL, exact to 15 significant digits (11 before the
    point), and SQLAlchemy's own float-to-Decimal path warns. We convert through the float's shortest repr
    instead, which gives back the digits that were written.
    """

    impl = Numeric(18, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(Numeric(18, 4, asdecimal=False))
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value).quantize(MONEY_SCALE)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value)).quantize(MONEY_SCALE)


class UTCDateTime(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE that refuses naive datetimes and always reads back aware, in UTC.

    SQLite stores no offset, so we store UTC there and attach it again on the way out; PostgreSQL returns its
    session time zone, which we normalise to UTC so both databases answer alike.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} refused: give it a time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
