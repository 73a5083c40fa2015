"""The legal case as a workflow of its own (issue 18): each case row carries the case's workflow, its stage, its next
deadline and what it is, and its history, so the legal inbox shows where every case stands without asking Temporal.

Only nullable columns are added: cases handed over before (no case workflow) read as they were.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS: list[tuple[str, sa.types.TypeEngine]] = [
    ("case_workflow_id", sa.String()), ("stage", sa.String()), ("next_deadline", sa.DateTime(timezone=True)),
    ("next_step", sa.Text()), ("history", sa.Text()),
]  # fmt: skip


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("legal_case", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("legal_case") as batch:  # SQLite drops columns by copying the table
        for name, _ in COLUMNS:
            batch.drop_column(name)
