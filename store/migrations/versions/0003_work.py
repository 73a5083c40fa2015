"""People's work: who made a contact (and for how long, with which recording or photo), and tasks as work items
(the step that gave them, who holds them, their team and priority, how they ended); an account's owner and team.

Only nullable columns are added, so the migration runs on a live table on SQLite and PostgreSQL alike, and rows
written before it read as "not assigned".

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT = sa.String()
INSTANT = sa.DateTime(timezone=True)
COLUMNS: dict[str, list[tuple[str, sa.types.TypeEngine]]] = {
    "contact_log": [("by", TEXT), ("duration_minutes", sa.Integer()), ("evidence_ref", TEXT)],
    "task": [
        ("step", TEXT), ("assignee", TEXT), ("team", TEXT), ("priority", sa.Float()),
        ("claimed_at", INSTANT), ("closed_at", INSTANT), ("closed_by", TEXT), ("outcome", sa.Text()),
    ],
    "account": [("owner", TEXT), ("team", TEXT)],
}  # fmt: skip
INDEXES = {"task": ("assignee", "team", "state"), "account": ("owner",)}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        for name, kind in columns:
            op.add_column(table, sa.Column(name, kind, nullable=True))
    for table, names in INDEXES.items():
        for name in names:
            op.create_index(f"ix_{table}_{name}", table, [name])


def downgrade() -> None:
    """The contact log keeps its columns: it is evidence, append-only (and SQLite would drop its triggers while
    copying the table to drop a column)."""
    for table, names in INDEXES.items():
        for name in names:
            op.drop_index(f"ix_{table}_{name}", table)
    for table in ("task", "account"):
        with op.batch_alter_table(table) as batch:  # SQLite drops columns by copying the table
            for name, _ in COLUMNS[table]:
                batch.drop_column(name)
