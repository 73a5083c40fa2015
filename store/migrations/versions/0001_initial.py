"""The first schema: accounts, invoices, payments, the outbox, documents, the contact log, tasks, legal cases.

Types are spelled out here (not imported from the models), so this revision stays what it was when the
models change. The contact log is evidence: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = {
    "sqlite": [
        f"""CREATE TRIGGER contact_log_no_{verb.lower()} BEFORE {verb} ON contact_log
            BEGIN SELECT RAISE(ABORT, 'contact_log is append-only: {verb} refused'); END"""
        for verb in ("UPDATE", "DELETE")
    ],
    "postgresql": [
        """CREATE FUNCTION contact_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'contact_log is append-only: % refused', TG_OP; END $$""",
        """CREATE TRIGGER contact_log_no_change BEFORE UPDATE OR DELETE ON contact_log
           FOR EACH ROW EXECUTE FUNCTION contact_log_append_only()""",
        """CREATE TRIGGER contact_log_no_truncate BEFORE TRUNCATE ON contact_log
           FOR EACH STATEMENT EXECUTE FUNCTION contact_log_append_only()""",
    ],
}
DROP_TRIGGERS = {
    "sqlite": ["DROP TRIGGER contact_log_no_update", "DROP TRIGGER contact_log_no_delete"],
    "postgresql": ["DROP FUNCTION contact_log_append_only() CASCADE"],
}


def string(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def long_text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def money(name: str) -> sa.Column:
    return sa.Column(name, sa.Numeric(18, 4), nullable=False)


def serial() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def primary_key(table: str, column: str = "id") -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(column, name=op.f(f"pk_{table}"))


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def refers(table: str, column: str, target: str, target_column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.{target_column}"], name=op.f(f"fk_{table}_{column}_{target}"))


def one_of(table: str, column: str, *values: str) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f"ck_{table}_{column}"))


def index(table: str, column: str) -> None:
    op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def ledger(table: str, key: str, *columns: sa.Column) -> None:
    """Invoices and payments: amounts owed or received on an account, unique by their id on that account."""
    op.create_table(
        table,
        serial(),
        string("account_id"),
        string(key),
        money("amount"),
        string("currency"),
        *columns,
        primary_key(table),
        unique(table, "account_id", key),
        refers(table, "account_id", "account", "account_id"),
    )
    index(table, "account_id")


def upgrade() -> None:
    op.create_table(
        "account",
        *(string(c) for c in ("account_id", "workflow_id", "debtor_name")),
        string("phone", nullable=True),
        string("email", nullable=True),
        *(string(c) for c in ("timezone", "locale", "segment", "policy")),
        instant("updated_at"),
        primary_key("account", "account_id"),
    )
    ledger(
        "invoice", "invoice_id", sa.Column("due_date", sa.Date(), nullable=False), string("contract_ref", nullable=True)
    )
    ledger("payment", "payment_id", instant("received_at"))
    op.create_table(
        "document",
        serial(),
        *(string(c) for c in ("account_id", "idempotency_key", "kind", "filename", "content_type", "sha256")),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        instant("created_at"),
        primary_key("document"),
        unique("document", "idempotency_key"),
    )
    index("document", "account_id")
    op.create_table(
        "message",
        serial(),
        *(string(c) for c in ("idempotency_key", "account_id", "kind", "action", "step", "channel", "recipient")),
        string("subject", nullable=True),
        long_text("body_text"),
        long_text("body_html"),
        sa.Column("document_id", sa.Integer(), nullable=True),
        string("status"),
        string("provider_reference", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        long_text("error"),
        instant("created_at"),
        instant("sent_at", nullable=True),
        primary_key("message"),
        unique("message", "idempotency_key"),
        refers("message", "document_id", "document", "id"),
        one_of("message", "kind", "sms", "email", "letter", "task"),
        one_of("message", "status", "pending", "sent", "failed"),
    )
    index("message", "account_id")
    op.create_table(
        "contact_log",
        serial(),
        string("account_id"),
        instant("at_utc"),
        string("at_local"),
        string("channel"),
        string("action"),
        *(string(c, nullable=True) for c in ("step", "template", "template_version", "content_sha256")),
        string("idempotency_key", nullable=True),
        string("result"),
        long_text("detail"),
        sa.Column("document_id", sa.Integer(), nullable=True),
        primary_key("contact_log"),
        refers("contact_log", "document_id", "document", "id"),
    )
    index("contact_log", "account_id")
    index("contact_log", "idempotency_key")
    op.create_table(
        "task",
        serial(),
        *(string(c) for c in ("idempotency_key", "account_id", "kind", "assignee_role", "summary")),
        long_text("body"),
        instant("due_at", nullable=True),
        string("state"),
        instant("created_at"),
        primary_key("task"),
        unique("task", "idempotency_key"),
        one_of("task", "state", "open", "done", "cancelled"),
    )
    index("task", "account_id")
    op.create_table(
        "legal_case",
        serial(),
        *(string(c) for c in ("case_id", "account_id", "workflow_id")),
        instant("opened_at"),
        long_text("reason", nullable=False),
        string("state"),
        string("accepted_by", nullable=True),
        instant("accepted_at", nullable=True),
        string("outcome", nullable=True),
        long_text("outcome_note"),
        string("outcome_by", nullable=True),
        instant("outcome_at", nullable=True),
        long_text("package"),
        string("package_sha256", nullable=True),
        primary_key("legal_case"),
        unique("legal_case", "case_id"),
        one_of("legal_case", "state", "open", "accepted", "closed"),
    )
    index("legal_case", "account_id")
    for statement in _dialect_sql(TRIGGERS):
        op.execute(statement)


def downgrade() -> None:
    for statement in _dialect_sql(DROP_TRIGGERS):
        op.execute(statement)
    for table in ("legal_case", "task", "contact_log", "message", "document", "payment", "invoice", "account"):
        op.drop_table(table)


def _dialect_sql(statements: dict[str, list[str]]) -> list[str]:
    """The contact log must not be left unprotected on a database we have no trigger SQL for."""
    dialect = op.get_bind().dialect.name
    if dialect not in statements:
        raise NotImplementedError(f"no append-only triggers for {dialect}: add them to this migration")
    return statements[dialect]
