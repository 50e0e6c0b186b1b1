"""Case alerts: which deadline warnings each channel has sent, so each is sent once.

Revision ID: 0004_case_alerts
Revises: 0003_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_case_alerts"
down_revision = "0003_cases"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_alerts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("alert_key", sa.String(400), nullable=False),
        sa.Column("case_id", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("due_at", _TZ, nullable=False),
        sa.Column("sent_at", _TZ, nullable=False),
        sa.Column("sent_to", sa.String(400), nullable=False),
        sa.UniqueConstraint("channel", "alert_key", name="uq_case_alerts_channel_key"),
    )
    op.create_index("ix_case_alerts_case_id", "case_alerts", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_alerts_case_id", table_name="case_alerts")
    op.drop_table("case_alerts")
