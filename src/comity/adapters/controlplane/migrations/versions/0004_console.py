"""Console: TOTP enrolments, browser sessions and the messages on a demand.

Revision ID: 0004_console
Revises: 0003_cases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_console"
down_revision = "0003_cases"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_totp",
        sa.Column("user_id", sa.String(63), sa.ForeignKey("intake_users.id"), primary_key=True),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("enrolled_at", _TZ, nullable=False),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(63), sa.ForeignKey("intake_users.id"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("expires_at", _TZ, nullable=False),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_table(
        "console_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("demand_id", sa.String(40), sa.ForeignKey("intake_demands.id"), nullable=False),
        sa.Column("author_id", sa.String(63), nullable=False),
        sa.Column("from_staff", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index("ix_console_messages_demand_id", "console_messages", ["demand_id"])


def downgrade() -> None:
    op.drop_index("ix_console_messages_demand_id", "console_messages")
    op.drop_table("console_messages")
    op.drop_index("ix_console_sessions_user_id", "console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("console_totp")
