"""Whom each case waits on, copied out of its document for the queue's filter.

Adds ``cases.waiting_on`` (``comity.domain.workflow.waiting_on``: review, approval, requester,
court, production, nobody) with the queue's composite index, and backfills it from each case's
document through ``cases_repo.derived``, the same function every save uses, in batches so a large
deployment does not hold every document in memory.

Revision ID: 0011_scale
Revises: 0010_case_list_columns
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011_scale"
down_revision = "0010_case_list_columns"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    # Added NOT NULL with a placeholder default, then filled from each document. Plain ALTER
    # TABLE statements: SQLite's batch mode would rebuild ``cases``, and dropping the old table
    # breaks the foreign keys ``case_deadlines`` holds on it. The application always writes the
    # column, so the default is never read; PostgreSQL drops it, SQLite cannot without a rebuild.
    bind = op.get_bind()
    op.add_column(
        "cases",
        sa.Column("waiting_on", sa.String(16), nullable=False, server_default="review"),
    )
    _backfill(bind)
    if bind.dialect.name != "sqlite":
        op.alter_column("cases", "waiting_on", server_default=None)
    op.create_index(
        "ix_cases_waiting_queue", "cases", ["waiting_on", "next_due_at", "received_at", "id"]
    )


def _backfill(bind: Any) -> None:
    # Deferred: the derivation is the application's, loaded only to migrate.
    from comity.adapters.controlplane.cases_repo import derived  # noqa: PLC0415
    from comity.domain.workflow import Case  # noqa: PLC0415

    cases = sa.Table("cases", sa.MetaData(), autoload_with=bind)
    last = ""
    while True:
        rows = bind.execute(
            sa.select(cases.c.id, cases.c.document)
            .where(cases.c.id > last)
            .order_by(cases.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        for ident, document in rows:
            columns, _ = derived(Case.model_validate(document))
            bind.execute(
                cases.update().where(cases.c.id == ident).values(waiting_on=columns["waiting_on"])
            )
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_cases_waiting_queue", table_name="cases")
    # SQLite 3.35+ drops a column in place (no rebuild, so the foreign keys onto cases hold).
    op.execute("ALTER TABLE cases DROP COLUMN waiting_on")
