"""Witnessing: cosignatures of this log's checkpoints, and the logs this deployment witnesses.

Revision ID: 0008_log_witnesses
Revises: 0007_production_claims
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_log_witnesses"
down_revision = "0007_production_claims"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_cosignatures",
        sa.Column("size", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("witness", sa.String(255), primary_key=True),
        sa.Column("line", sa.Text, nullable=False),
        sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "witness_logs",
        sa.Column("origin", sa.String(255), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("witness_logs")
    op.drop_table("audit_cosignatures")
