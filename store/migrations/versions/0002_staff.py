"""Named staff and their keys: `staff` (who works here, their role, team and approval level) and `api_key` (each
key's SHA-256, never the key itself).

Types are spelled out here, as in 0001, so this revision stays what it was when the models change.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = ("collector", "supervisor", "manager", "general_manager", "legal", "ops", "admin")
LEVELS = ("supervisor", "manager", "general_manager")


def string(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def instant(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=op.f(f"ck_{table}_{column}"))


def upgrade() -> None:
    op.create_table(
        "staff",
        string("username"),
        string("full_name"),
        string("role"),
        string("team", nullable=True),
        string("approval_level", nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        instant("created_at"),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_staff")),
        one_of("staff", "role", ROLES),
        one_of("staff", "approval_level", LEVELS),
    )
    op.create_table(
        "api_key",
        string("key_id"),
        string("username"),
        string("secret_sha256"),
        instant("created_at"),
        instant("revoked_at", nullable=True),
        instant("last_used_at", nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_key")),
        sa.ForeignKeyConstraint(["username"], ["staff.username"], name=op.f("fk_api_key_username_staff")),
    )
    op.create_index(op.f("ix_api_key_username"), "api_key", ["username"], unique=False)


def downgrade() -> None:
    op.drop_table("api_key")
    op.drop_table("staff")
