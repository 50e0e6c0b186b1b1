"""Custody: the journal of account moves between regions.

Revision ID: 0002_custody_moves
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_custody_moves"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "custody_moves",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.String(128), nullable=False, index=True),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("source", sa.String(63), nullable=False),
        sa.Column("destination", sa.String(63), nullable=False),
        sa.Column("whole_account", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("records", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(80), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("custody_moves")
