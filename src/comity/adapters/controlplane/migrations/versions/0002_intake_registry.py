"""Intake: authority registry, users and API tokens, demands, legal-process files, assessments.

Revision ID: 0002_intake_registry
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_intake_registry"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "intake_authorities",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("country", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("keys", sa.JSON(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_table(
        "intake_users",
        sa.Column("id", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("email", sa.String(320), nullable=False, unique=True),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column(
            "agency_id", sa.String(63), sa.ForeignKey("intake_authorities.id"), nullable=True
        ),
        sa.Column("may_file_emergency", sa.Boolean(), nullable=False),
        sa.Column("may_download", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index("ix_intake_users_agency_id", "intake_users", ["agency_id"])
    op.create_table(
        "intake_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(63), sa.ForeignKey("intake_users.id"), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index("ix_intake_tokens_user_id", "intake_tokens", ["user_id"])
    op.create_table(
        "intake_demands",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(600), nullable=False, unique=True),
        sa.Column("agency_id", sa.String(63), nullable=True),
        sa.Column("submitted_by", sa.String(63), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("verification", sa.String(16), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("fraud_signs", sa.JSON(), nullable=False),
        sa.Column("signature_key_id", sa.String(200), nullable=True),
        sa.Column("verified_by", sa.String(63), nullable=True),
        sa.Column("callbacks", sa.JSON(), nullable=False),
        sa.Column("disclosure_blocked_reason", sa.Text(), nullable=True),
        sa.Column("received_at", _TZ, nullable=False),
        sa.Column("withdrawn_at", _TZ, nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    for col in ("reference", "agency_id", "status", "emergency", "seq"):
        op.create_index(f"ix_intake_demands_{col}", "intake_demands", [col])
    op.create_table(
        "intake_attachments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("demand_id", sa.String(40), sa.ForeignKey("intake_demands.id"), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(71), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_intake_attachments_demand_id", "intake_attachments", ["demand_id"])
    op.create_table(
        "intake_assessments",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("demand_id", sa.String(40), sa.ForeignKey("intake_demands.id"), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("rule_pack_digest", sa.String(80), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(63), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index("ix_intake_assessments_demand_id", "intake_assessments", ["demand_id"])


def downgrade() -> None:
    for table in (
        "intake_assessments",
        "intake_attachments",
        "intake_demands",
        "intake_tokens",
        "intake_users",
        "intake_authorities",
    ):
        op.drop_table(table)
