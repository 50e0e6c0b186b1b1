"""Audit log: stored subtree hashes for fast proofs, and signed checkpoints.

Revision ID: 0002_audit_checkpoints
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_audit_checkpoints"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_nodes",
        sa.Column("id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("size", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Create the one tree-state row now, so the very first appends of two concurrent writers
    # both find a row to lock instead of racing to insert it.
    state = sa.table(
        "audit_tree_state",
        sa.column("id", sa.Integer()),
        sa.column("size", sa.Integer()),
        sa.column("frontier", sa.LargeBinary()),
    )
    bind = op.get_bind()
    if bind.execute(sa.select(state.c.id).where(state.c.id == 1)).first() is None:
        op.bulk_insert(state, [{"id": 1, "size": 0, "frontier": b""}])


def downgrade() -> None:
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_nodes")
