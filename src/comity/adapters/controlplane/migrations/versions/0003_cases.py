"""Cases: one row per case of the workflow, the case kept as its JSON document.

Revision ID: 0003_cases
Revises: 0002_intake_registry
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_cases"
down_revision = "0002_intake_registry"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column(
            "demand_id",
            sa.String(63),
            sa.ForeignKey("intake_demands.id"),
            nullable=True,
            unique=True,
        ),
        sa.Column("reference", sa.String(300), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
    )
    op.create_index("ix_cases_reference", "cases", ["reference"])
    op.create_index("ix_cases_state", "cases", ["state"])


def downgrade() -> None:
    op.drop_index("ix_cases_state", table_name="cases")
    op.drop_index("ix_cases_reference", table_name="cases")
    op.drop_table("cases")
