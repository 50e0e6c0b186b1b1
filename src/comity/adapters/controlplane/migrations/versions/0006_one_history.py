"""One history from here on: the branches that grew side by side (audit checkpoints, account
moves, case alerts, productions, the console) join, and every later migration follows the one
before it, in the order of its number.

Revision ID: 0006_one_history
Revises: 0002_audit_checkpoints, 0002_custody_moves, 0004_case_alerts, 0004_productions,
    0005_console_totp_sealed
"""

from __future__ import annotations

revision = "0006_one_history"
down_revision = (
    "0002_audit_checkpoints",
    "0002_custody_moves",
    "0004_case_alerts",
    "0004_productions",
    "0005_console_totp_sealed",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the branches."""


def downgrade() -> None:
    """Nothing to change: this revision only joins the branches."""
