"""Monthly aging snapshots (issue 20): `aging_snapshot`, each open account as the snapshot of a month saw it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "aging_snapshot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.String(), nullable=False, index=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("bucket", sa.String(), nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=True),
        sa.Column("outstanding", sa.Numeric(18, 4), nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("segment", sa.String(), nullable=False),
        sa.Column("arm", sa.String(), nullable=True),
        sa.Column("owner", sa.String(), nullable=True),
        sa.Column("team", sa.String(), nullable=True),
        sa.UniqueConstraint("month", "account_id", name=op.f("uq_aging_snapshot_month_account_id")),
    )


def downgrade() -> None:
    op.drop_table("aging_snapshot")
