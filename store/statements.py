"""The writes every action makes, as SQLAlchemy Core statements on one connection: the outbox's attempt and outcome,
the contact log, an insert by a natural key. The ORM's session and unit of work cost several times the statement
itself, and these run a few times per action of every account (`bench.ladder`). `store.repository.Store` runs them,
each in the one transaction its verb promises."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel

from store.errors import NotFound
from store.models import ContactLog, Message

Row = TypeVar("Row", bound=SQLModel)


def table(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined]


def insert_row(connection: Connection, row: Row, **overrides: Any) -> Row:
    """Insert a copy of the row with `overrides` (its id left to the database); returns the copy, with its id."""
    values = row.model_dump(exclude={"id"}) | overrides
    inserted = connection.execute(insert(table(type(row))).values(values)).inserted_primary_key
    assert inserted is not None
    return type(row)(**values, id=inserted[0])


def insert_once(engine: Engine, row: Row, key: str) -> Row:
    """Insert a copy of `row` unless a row with the same `key` column exists; either way return the stored row."""
    model = type(row)
    statement = select(table(model)).where(table(model).c[key] == getattr(row, key))

    def stored() -> Row | None:
        with engine.connect() as connection:
            found = connection.execute(statement).mappings().first()
        return model(**found) if found is not None else None

    found = stored()
    if found is not None:
        return found
    try:
        with engine.begin() as connection:
            return insert_row(connection, row)
    except IntegrityError:
        found = stored()  # lost a race to another writer of the same key
        if found is None:
            raise  # some other constraint failed: the caller must see it
        return found


def attempt(connection: Connection, message: Message, entry: ContactLog) -> Message:
    """One more delivery attempt of the message, `entry` logged with it; the first claims the key with a pending
    row. A row sent or failed comes back untouched, nothing logged."""
    row = _locked_message(connection, message.idempotency_key)
    if row is None:
        row = insert_row(connection, message, status="pending", attempts=1)
    elif row.status == "pending":
        _update(connection, row, attempts=row.attempts + 1)
    else:
        return row
    insert_row(connection, entry)
    return row


def mark(connection: Connection, key: str, entry: ContactLog | None, **change: Any) -> Message:
    """Apply `change` to the message unless it was sent (sent is final), and log `entry`."""
    row = _locked_message(connection, key)
    if row is None:
        raise NotFound(f"no message with idempotency_key {key!r}")
    if row.status != "sent":
        _update(connection, row, **change)
    if entry is not None:
        insert_row(connection, entry)
    return row


def _locked_message(connection: Connection, key: str) -> Message | None:
    """The outbox row of `key`, locked until the transaction ends (on SQLite the transaction holds the write lock)."""
    found = connection.execute(select(table(Message)).where(table(Message).c.idempotency_key == key).with_for_update())
    row = found.mappings().first()
    return Message(**row) if row is not None else None


def _update(connection: Connection, message: Message, **change: Any) -> None:
    connection.execute(update(table(Message)).where(table(Message).c.id == message.id).values(**change))
    for name, value in change.items():
        setattr(message, name, value)


def insert_new(engine: Engine, rows: Sequence[SQLModel], keys: tuple[str, str]) -> int:
    """Insert the rows whose pair of `keys` columns no stored row has (one transaction); returns how many were new.
    A concurrent writer of the same rows makes the first attempt fail on the unique constraint: once more then."""
    if not rows:
        return 0
    model = type(rows[0])
    first, second = (table(model).c[key] for key in keys)
    for attempt in range(2):
        try:
            with engine.begin() as connection:
                wanted = {getattr(row, keys[0]) for row in rows}
                known = set(connection.execute(select(first, second).where(first.in_(wanted))).all())
                new = [row for row in rows if (getattr(row, keys[0]), getattr(row, keys[1])) not in known]
                if new:
                    connection.execute(insert(table(model)), [row.model_dump(exclude={"id"}) for row in new])
                return len(new)
        except IntegrityError:
            if attempt:
                raise  # not a lost race: another constraint failed
    raise AssertionError("unreachable")
