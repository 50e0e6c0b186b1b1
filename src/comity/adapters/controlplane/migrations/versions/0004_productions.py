"""Productions: one row per production of a case, and the download links of each package.

Revision ID: 0004_productions
Revises: 0003_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_productions"
down_revision = "0003_cases"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "productions",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("demand_id", sa.String(63), sa.ForeignKey("intake_demands.id"), nullable=False),
        sa.Column("case_id", sa.String(63), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("encrypted_path", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("record_count", sa.Integer(), nullable=True),
        sa.Column("produced_at", _TZ, nullable=False),
        sa.Column("published_at", _TZ, nullable=True),
        sa.Column("signed_authorization", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(63), nullable=False),
        sa.Column("custodian", sa.String(300), nullable=False),
    )
    op.create_index("ix_productions_demand_id", "productions", ["demand_id"])
    op.create_index("ix_productions_case_id", "productions", ["case_id"])
    op.create_table(
        "production_links",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("production_id", sa.String(63), sa.ForeignKey("productions.id"), nullable=False),
        sa.Column("agency_id", sa.String(63), nullable=True),
        sa.Column("created_by", sa.String(63), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
    )
    op.create_index("ix_production_links_production_id", "production_links", ["production_id"])


def downgrade() -> None:
    op.drop_index("ix_production_links_production_id", table_name="production_links")
    op.drop_table("production_links")
    op.drop_index("ix_productions_case_id", table_name="productions")
    op.drop_index("ix_productions_demand_id", table_name="productions")
    op.drop_table("productions")
