"""The HI-1 object map (ETSI TS 103 120): each imported object and the demand it fed.

Revision ID: 0009_etsi
Revises: 0008_log_witnesses
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_etsi"
down_revision = "0008_log_witnesses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "etsi_objects",
        sa.Column("authority_id", sa.String(63), primary_key=True),
        sa.Column("object_id", sa.String(200), primary_key=True),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("receiver", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("demand_id", sa.String(63), sa.ForeignKey("intake_demands.id"), nullable=False),
        sa.Column("transaction_id", sa.String(200), nullable=False),
        sa.Column("action_id", sa.String(63), nullable=False),
        sa.Column("reference", sa.String(200), nullable=True),
        sa.Column("categories", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_etsi_objects_demand_id", "etsi_objects", ["demand_id"])
    op.create_index(
        "ix_etsi_objects_transaction", "etsi_objects", ["authority_id", "transaction_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_etsi_objects_transaction", table_name="etsi_objects")
    op.drop_index("ix_etsi_objects_demand_id", table_name="etsi_objects")
    op.drop_table("etsi_objects")
