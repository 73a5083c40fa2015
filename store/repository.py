"""The store's verbs. Each method is one short transaction and returns detached rows the caller may keep.

Writes that a retried activity may repeat are idempotent by a natural key (the idempotency key, the case id,
an invoice id on its account): the first write wins, and a repeat gets the row already there. Races between
workers end the same way: the loser's INSERT hits the unique constraint and it reads the winner's row.

The writes every action makes (the outbox, the contact log, inserts by a natural key) are Core statements
(`store.statements`); the rest goes through the ORM.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from store import statements
from store.db import make_engine, migrate
from store.errors import Conflict, NotFound
from store.models import (
    Account,
    AgencyPayment,
    AgencyPlacement,
    ContactLog,
    Document,
    Invoice,
    LegalCase,
    Message,
    Payment,
    Staff,
    Task,
    utcnow,
)
from store.staff import StaffRegister

Row = TypeVar("Row", bound=SQLModel)


class Store(StaffRegister):
    """The system of record, over any engine from `store.db.make_engine` (SQLite or PostgreSQL). The staff and their
    keys: `store.staff.StaffRegister`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> "Store":
        """Migrate the database at `url` (`Settings.database_url`, or a test's) to head and open a store on it."""
        migrate(url)
        return cls(make_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- accounts ---

    def upsert_account(
        self, account: Account, invoices: Iterable[Invoice] = (), payments: Iterable[Payment] = ()
    ) -> Account:
        """Insert or update the account; add the invoices and payments it does not have yet (by their ids)."""
        invoices, payments = list(invoices), list(payments)
        try:
            return self._upsert_account(account, invoices, payments)
        except IntegrityError:
            # Another worker inserted the same account or rows first: this time they are found and skipped.
            return self._upsert_account(account, invoices, payments)

    def account(self, account_id: str) -> Account | None:
        return self._first(select(Account).where(Account.account_id == account_id))

    def invoices(self, account_id: str) -> list[Invoice]:
        return self._all(select(Invoice).where(Invoice.account_id == account_id).order_by(col(Invoice.id)))

    def payments(self, account_id: str) -> list[Payment]:
        return self._all(select(Payment).where(Payment.account_id == account_id).order_by(col(Payment.id)))

    # --- who owns an account ---

    def set_owner(self, account_id: str, owner: str | None, team: str | None, by: str, at: datetime) -> Account:
        """Give the account to `owner` (its collector) in `team`, with an audit row in the contact log."""

        def hand_over(account: Account) -> None:
            account.owner, account.team = owner, team

        detail = f"account given to {owner or 'nobody'} (team {team or '-'})"
        entry = ContactLog(account_id=account_id, at_utc=at, at_local=at.isoformat(), channel="work", action="owner",
                           result="assigned", detail=detail, by=by)  # fmt: skip
        return self._change(column(Account.account_id), account_id, hand_over, entry)

    def least_loaded(self, role: str, team: str | None) -> str | None:
        """The active person of `role` (in `team`, when given) holding the fewest open tasks; ties by username, so
        that new accounts go round the team in turn."""
        load = (
            select(Task.assignee, func.count(col(Task.id)).label("open"))
            .where(Task.state == "open", col(Task.assignee).is_not(None))
            .group_by(col(Task.assignee))
            .subquery()
        )
        statement = (
            select(Staff.username)
            .outerjoin(load, load.c.assignee == Staff.username)
            .where(Staff.role == role, col(Staff.active).is_(True))
            .order_by(func.coalesce(load.c.open, 0), col(Staff.username))
            .limit(1)
        )
        if team is not None:
            statement = statement.where(Staff.team == team)
        with self._session() as session:
            return session.exec(statement).first()

    # --- the outbox ---

    def attempt(self, message: Message, entry: ContactLog) -> Message:
        """Count one more delivery attempt of the message and log `entry`, in one transaction (under the row lock:
        concurrent retries are all counted). The first attempt claims the idempotency key with a `pending` row; a
        row already sent or failed comes back untouched, and nothing is logged."""
        try:
            with self.engine.begin() as connection:
                return statements.attempt(connection, message, entry)
        except IntegrityError:
            # Another worker inserted the same key first (the unique constraint): this time its row is found.
            with self.engine.begin() as connection:
                return statements.attempt(connection, message, entry)

    def mark_sent(self, key: str, channel: str, reference: str, entry: ContactLog | None = None) -> Message:
        """Record delivery, and log `entry` with it. Sent is final: a second call keeps the first channel,
        reference and time."""
        with self.engine.begin() as connection:
            return statements.mark(connection, key, entry, status="sent", channel=channel,
                                   provider_reference=reference, sent_at=utcnow())  # fmt: skip

    def mark_failed(self, key: str, error: str, entry: ContactLog | None = None) -> Message:
        """Record a failed delivery, and log `entry` with it; a message already sent stays sent (a late failure
        report changes nothing)."""
        with self.engine.begin() as connection:
            return statements.mark(connection, key, entry, status="failed", error=error)

    def message(self, key: str) -> Message | None:
        return self._first(select(Message).where(Message.idempotency_key == key))

    def messages(self, account_id: str) -> list[Message]:
        return self._all(select(Message).where(Message.account_id == account_id).order_by(col(Message.id)))

    # --- documents ---

    def save_document(self, document: Document) -> Document:
        """Store a rendered document once per idempotency key; a repeat returns the stored one."""
        return statements.insert_once(self.engine, document, "idempotency_key")

    def document(self, document_id: int) -> Document:
        found = self._first(select(Document).where(Document.id == document_id))
        if found is None:
            raise NotFound(f"no document {document_id}")
        return found

    # --- the contact log ---

    def log(self, row: ContactLog) -> ContactLog:
        """Append one entry. There is no way to change or remove it afterwards, by design."""
        with self.engine.begin() as connection:
            return statements.insert_row(connection, row)

    def contact_log(self, account_id: str) -> list[ContactLog]:
        """The account's entries in the order they were written."""
        return self._all(select(ContactLog).where(ContactLog.account_id == account_id).order_by(col(ContactLog.id)))

    # --- tasks ---

    def create_task(self, task: Task) -> Task:
        return statements.insert_once(self.engine, task, "idempotency_key")

    def close_tasks(self, account_id: str, reason: str, at: datetime, by: str = "system") -> int:
        """Cancel the account's open tasks (it closed: nobody works them any more); returns how many."""
        with self._session() as session:
            rows = session.exec(
                select(Task).where(Task.account_id == account_id, Task.state == "open").with_for_update()
            ).all()
            for row in rows:
                row.state, row.closed_at, row.closed_by, row.outcome = "cancelled", at, by, reason
        return len(rows)

    def tasks(self, account_id: str | None = None, state: str | None = None) -> list[Task]:
        statement = select(Task).order_by(col(Task.id))
        if account_id is not None:
            statement = statement.where(Task.account_id == account_id)
        if state is not None:
            statement = statement.where(Task.state == state)
        return self._all(statement)

    # --- collection agencies ---

    def record_placements(self, placements: list[AgencyPlacement], payments: list[AgencyPayment]) -> None:
        """An account's placements as its workflow last saw them (the latest wins), and the payments that earned
        commission (each once)."""
        with self._session() as session:
            for placement in placements:
                row = session.exec(select(AgencyPlacement).where(
                    AgencyPlacement.placement_id == placement.placement_id).with_for_update()).first()  # fmt: skip
                if row is None:
                    session.add(placement)
                else:
                    for name, value in placement.model_dump(exclude={"id"}).items():
                        setattr(row, name, value)
            for payment in payments:
                known = session.exec(select(AgencyPayment).where(
                    AgencyPayment.placement_id == payment.placement_id, AgencyPayment.paid_at == payment.paid_at,
                    AgencyPayment.amount == payment.amount)).first()  # fmt: skip
                if known is None:
                    session.add(payment)

    def placements(self, agency_id: str | None = None, account_id: str | None = None) -> list[AgencyPlacement]:
        statement = select(AgencyPlacement).order_by(col(AgencyPlacement.placed_at), col(AgencyPlacement.id))
        if agency_id is not None:
            statement = statement.where(AgencyPlacement.agency_id == agency_id)
        if account_id is not None:
            statement = statement.where(AgencyPlacement.account_id == account_id)
        return self._all(statement)

    def agency_payments(self, agency_id: str) -> list[AgencyPayment]:
        statement = select(AgencyPayment).where(AgencyPayment.agency_id == agency_id)
        return self._all(statement.order_by(col(AgencyPayment.paid_at), col(AgencyPayment.id)))

    # --- legal cases ---

    def open_case(self, case: LegalCase) -> LegalCase:
        """Hand a case to legal once; opening it again returns the case as it stands now."""
        return statements.insert_once(self.engine, case, "case_id")

    def cases(self, state: str | None = None) -> list[LegalCase]:
        statement = select(LegalCase).order_by(col(LegalCase.opened_at), col(LegalCase.id))
        if state is not None:
            statement = statement.where(LegalCase.state == state)
        return self._all(statement)

    def case(self, case_id: str) -> LegalCase | None:
        return self._first(select(LegalCase).where(LegalCase.case_id == case_id))

    def accept_case(self, case_id: str, by: str, at: datetime) -> LegalCase:
        """A lawyer takes the case. Accepting again keeps the first acceptance; a closed case refuses."""

        def accept(case: LegalCase) -> None:
            if case.state == "closed":
                raise Conflict(f"case {case_id} is already closed ({case.outcome}): it cannot be accepted")
            if case.state == "open":
                case.state, case.accepted_by, case.accepted_at = "accepted", by, at

        case = self._change(column(LegalCase.case_id), case_id, accept)
        self._close_handoff(case.account_id, by, at)
        return case

    def _close_handoff(self, account_id: str, by: str, at: datetime) -> None:
        """The litigation task in legal's queue is done once a lawyer has taken the case."""
        with self._session() as session:
            statement = select(Task).where(Task.account_id == account_id, Task.kind == "litigation",
                                           Task.state == "open")  # fmt: skip
            for row in session.exec(statement.with_for_update()).all():
                row.state, row.closed_by, row.closed_at, row.outcome = "done", by, at, "case accepted"

    def follow_case(self, case_id: str, progress: dict[str, Any]) -> LegalCase:
        """Where a case's workflow stands (`LegalCase` columns: stage, next deadline, history...): the latest wins."""

        def follow(case: LegalCase) -> None:
            for name, value in progress.items():
                setattr(case, name, value)

        return self._change(column(LegalCase.case_id), case_id, follow)

    def close_case(self, case_id: str, outcome: str, note: str | None, by: str, at: datetime) -> LegalCase:
        """Record the legal outcome once. The same outcome again is a no-op; a different one is refused."""

        def close(case: LegalCase) -> None:
            if case.state == "closed":
                if case.outcome != outcome:
                    raise Conflict(f"case {case_id} already closed as {case.outcome}, not {outcome}")
                return
            case.state, case.outcome, case.outcome_note = "closed", outcome, note
            case.outcome_by, case.outcome_at = by, at

        return self._change(column(LegalCase.case_id), case_id, close)

    # --- plumbing ---

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """One transaction, committed on success; rows stay readable after it (expire_on_commit=False)."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    def _first(self, statement: SelectOfScalar[Row]) -> Row | None:
        with self._session() as session:
            return session.exec(statement).first()

    def _all(self, statement: SelectOfScalar[Row]) -> list[Row]:
        with self._session() as session:
            return list(session.exec(statement).all())

    def _change(
        self,
        key: InstrumentedAttribute[str],
        value: str,
        change: Callable[[Any], None],
        entry: ContactLog | None = None,
    ) -> Any:
        """Lock the row with `key == value`, apply `change`, append `entry` to the contact log and commit;
        `change` raising leaves it all untouched."""
        model = key.class_
        with self._session() as session:
            row = session.exec(select(model).where(key == value).with_for_update()).first()
            if row is None:
                raise NotFound(f"no {model.__tablename__} with {key.key} {value!r}")
            change(row)
            if entry is not None:
                session.add(_copy(entry))
        return row

    def _upsert_account(self, account: Account, invoices: Sequence[Invoice], payments: Sequence[Payment]) -> Account:
        with self._session() as session:
            known = session.get(Account, account.account_id)
            kept = {"owner": known.owner, "team": known.team} if known is not None else {}  # people's, not events'
            stored = session.merge(_copy(account, **kept))
            _add_missing(session, column(Invoice.invoice_id), account.account_id, invoices)
            _add_missing(session, column(Payment.payment_id), account.account_id, payments)
        return stored


def _add_missing(session: Session, key: InstrumentedAttribute[str], account_id: str, rows: Sequence[Any]) -> None:
    """Add copies of the rows whose `key` the account does not have yet (the account's id is imposed)."""
    model = key.class_
    known = set(session.exec(select(key).where(model.account_id == account_id)).all())
    for row in rows:
        value = getattr(row, key.key)
        if value not in known:
            known.add(value)
            session.add(_copy(row, account_id=account_id))


def column(attribute: object) -> InstrumentedAttribute[str]:
    """A model's column as SQLAlchemy has it (SQLModel types a column attribute as its Python value)."""
    assert isinstance(attribute, InstrumentedAttribute)
    return attribute


def _copy(row: Row, **overrides: Any) -> Row:
    """A fresh, unsaved copy: the caller's object is never attached to a session or given an id."""
    return type(row)(**(row.model_dump(exclude={"id"}) | overrides))
