"""Console TOTP secrets are stored sealed (AES-256-GCM), which needs a wider column.

Revision ID: 0005_console_totp_sealed
Revises: 0004_console
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_console_totp_sealed"
down_revision = "0004_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("console_totp") as table:
        table.alter_column("secret", type_=sa.String(200), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("console_totp") as table:
        table.alter_column("secret", type_=sa.String(64), existing_nullable=False)
