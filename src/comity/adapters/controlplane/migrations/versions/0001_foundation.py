"""Foundation: accounts, their selectors, and the audit log's leaves and tree state.

Revision ID: 0001_foundation
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("home_region", sa.String(63), nullable=False),
        sa.Column("placement", sa.JSON(), nullable=False),
        sa.Column("residence", sa.String(16), nullable=False),
        sa.Column("nationality", sa.String(16), nullable=False),
        sa.Column("us_person", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "account_selectors",
        sa.Column("type", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(320), primary_key=True),
        sa.Column(
            "account_id",
            sa.String(128),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
    )
    op.create_index("ix_account_selectors_account_id", "account_selectors", ["account_id"])
    op.create_table(
        "audit_entries",
        sa.Column("idx", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("entry", sa.Text(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("action", sa.String(128), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
    )
    op.create_index("ix_audit_entries_action", "audit_entries", ["action"])
    op.create_index("ix_audit_entries_subject", "audit_entries", ["subject"])
    op.create_table(
        "audit_tree_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_tree_state")
    op.drop_table("audit_entries")
    op.drop_table("account_selectors")
    op.drop_table("accounts")
