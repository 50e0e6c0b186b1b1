"""Productions: a claim row per case (one production at a time across processes and hosts), and
the reason a production failed or was abandoned.

Revision ID: 0007_production_claims
Revises: 0006_one_history
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_production_claims"
down_revision = "0006_one_history"
branch_labels = None
depends_on = "0004_productions"  # the productions table it alters

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "production_claims",
        sa.Column("case_id", sa.String(63), sa.ForeignKey("cases.id"), primary_key=True),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("production_id", sa.String(63), nullable=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("claimed_at", _TZ, nullable=False),
        sa.Column("heartbeat_at", _TZ, nullable=False),
    )
    with op.batch_alter_table("productions") as table:
        table.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("productions") as table:
        table.drop_column("reason")
    op.drop_table("production_claims")
