"""The KPIs' projection (issue 20): `account_fact`, what each account did that the department's figures count,
written once per account and key by its workflow (domain/facts.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_fact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("account_id", sa.String(), nullable=False, index=True),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("amount", sa.Numeric(18, 4), nullable=True),
        sa.Column("currency", sa.String(), nullable=True),
        sa.Column("stage", sa.String(), nullable=False),
        sa.Column("segment", sa.String(), nullable=False),
        sa.Column("policy", sa.String(), nullable=False),
        sa.Column("arm", sa.String(), nullable=True, index=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.UniqueConstraint("account_id", "key", name=op.f("uq_account_fact_account_id_key")),
    )


def downgrade() -> None:
    op.drop_table("account_fact")
