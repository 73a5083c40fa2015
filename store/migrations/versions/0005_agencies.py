"""Collection agencies (issue 18): the `agency` staff role (an agency's people; their team is the agency's id), the
accounts placed with agencies and the payments that earned them commission (statements, performance, the agency's
own view). New tables; the staff table's role check is widened (SQLite: by copying the table, in a batch).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = ("collector", "supervisor", "manager", "general_manager", "legal", "ops", "admin")
AFTER = (*BEFORE, "agency")
MONEY = sa.Numeric(18, 4)
INSTANT = sa.DateTime(timezone=True)


def _roles(roles: tuple[str, ...]) -> None:
    """SQLite changes a CHECK by copying the table, which drops `staff` under the keys that reference it: the keys
    are set aside meanwhile, in the same transaction."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute("CREATE TEMP TABLE api_key_aside AS SELECT * FROM api_key")
        op.execute("DELETE FROM api_key")
    with op.batch_alter_table("staff") as batch:
        batch.drop_constraint(op.f("ck_staff_role"), type_="check")
        batch.create_check_constraint(op.f("ck_staff_role"), f"role IN ({', '.join(repr(r) for r in roles)})")
    if sqlite:
        op.execute("INSERT INTO api_key SELECT * FROM api_key_aside")
        op.execute("DROP TABLE api_key_aside")


def upgrade() -> None:
    _roles(AFTER)
    op.create_table(
        "agency_placement",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("placement_id", sa.String(), nullable=False, unique=True),
        sa.Column("account_id", sa.String(), nullable=False, index=True),
        sa.Column("agency_id", sa.String(), nullable=False, index=True),
        sa.Column("placed_at", INSTANT, nullable=False),
        sa.Column("days_past_due", sa.Integer(), nullable=False),
        *(sa.Column(name, MONEY, nullable=False) for name in ("placed_amount",)),
        sa.Column("currency", sa.String(), nullable=False),
        *(sa.Column(name, MONEY, nullable=False) for name in ("rate", "collected", "commission")),
        *(sa.Column(name, INSTANT, nullable=True) for name in ("first_report_at", "last_result_at", "recalled_at")),
        sa.Column("recall_reason", sa.Text(), nullable=True),
        sa.Column("complaints", sa.Text(), nullable=True),
    )
    op.create_table(
        "agency_payment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("placement_id", sa.String(), nullable=False, index=True),
        sa.Column("agency_id", sa.String(), nullable=False, index=True),
        sa.Column("account_id", sa.String(), nullable=False),
        sa.Column("paid_at", INSTANT, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(), nullable=False),
        sa.Column("rate", MONEY, nullable=False),
        sa.Column("commission", MONEY, nullable=False),
        sa.UniqueConstraint("placement_id", "paid_at", "amount"),
    )


def downgrade() -> None:
    op.drop_table("agency_payment")
    op.drop_table("agency_placement")
    _roles(BEFORE)
