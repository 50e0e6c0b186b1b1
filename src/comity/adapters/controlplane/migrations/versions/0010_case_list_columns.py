"""What the case lists read, copied out of each case's document into indexed columns.

Adds to ``cases`` the received time, open/finished, the next deadline, the demand's agency,
emergency and instrument, with the queue's composite indexes, and the table ``case_deadlines``
(one row per open deadline) that the due list walks, and an index of each agency's demands in
filing order for a requester's list. Existing cases are backfilled from their
documents through ``cases_repo.derived``, the same function every save uses, in batches so a
large deployment does not hold every document in memory.

Revision ID: 0010_case_list_columns
Revises: 0009_etsi
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010_case_list_columns"
down_revision = "0009_etsi"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_BATCH = 1000
_NEW = ("received_at", "is_open", "next_due_at", "agency_id", "emergency", "instrument")
_QUEUE = ("next_due_at", "received_at", "id")


def upgrade() -> None:
    # Added nullable, filled, then made NOT NULL: a table with rows cannot take a NOT NULL column
    # without a default, and no default would be true.
    with op.batch_alter_table("cases") as table:
        table.add_column(sa.Column("received_at", _TZ, nullable=True))
        table.add_column(sa.Column("is_open", sa.Boolean(), nullable=True))
        table.add_column(sa.Column("next_due_at", _TZ, nullable=True))
        table.add_column(sa.Column("agency_id", sa.String(63), nullable=True))
        table.add_column(sa.Column("emergency", sa.Boolean(), nullable=True))
        table.add_column(sa.Column("instrument", sa.String(64), nullable=True))
    _backfill(op.get_bind(), deadlines=False)
    with op.batch_alter_table("cases") as table:
        for name in _NEW:
            if name != "agency_id":
                table.alter_column(name, existing_nullable=True, nullable=False)
    # Created after the table rebuild above (SQLite copies ``cases``), then filled in a second pass.
    op.create_table(
        "case_deadlines",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(63), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("due_at", _TZ, nullable=False),
        sa.Column("subject", sa.String(1000), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
    )
    _backfill(op.get_bind(), deadlines=True)
    op.create_index("ix_case_deadlines_case_id", "case_deadlines", ["case_id"])
    op.create_index(
        "ix_case_deadlines_due", "case_deadlines", ["due_at", "subject", "kind", "case_id"]
    )
    op.create_index("ix_cases_queue", "cases", list(_QUEUE))
    op.create_index("ix_cases_open_queue", "cases", ["is_open", *_QUEUE])
    op.create_index("ix_cases_agency_queue", "cases", ["agency_id", *_QUEUE])
    op.create_index("ix_cases_state_queue", "cases", ["state", *_QUEUE])
    op.create_index("ix_intake_demands_agency_seq", "intake_demands", ["agency_id", "seq"])


def _backfill(bind: Any, *, deadlines: bool) -> None:
    """Pass one fills the new columns of ``cases``; pass two the rows of ``case_deadlines``."""
    # Deferred: the model and the derivation are the application's, loaded only to migrate.
    from comity.adapters.controlplane.cases_repo import deadline_rows, derived  # noqa: PLC0415
    from comity.domain.workflow import Case  # noqa: PLC0415

    meta = sa.MetaData()
    cases = sa.Table("cases", meta, autoload_with=bind)
    demands = sa.Table("intake_demands", meta, autoload_with=bind)
    target = sa.Table("case_deadlines", meta, autoload_with=bind) if deadlines else None
    last = ""
    while True:
        rows = bind.execute(
            sa.select(cases.c.id, cases.c.document, demands.c.agency_id)
            .outerjoin(demands, demands.c.id == cases.c.demand_id)
            .where(cases.c.id > last)
            .order_by(cases.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        new_deadlines: list[dict[str, Any]] = []
        for ident, document, agency in rows:
            columns, open_deadlines = derived(Case.model_validate(document))
            if target is not None:
                new_deadlines += deadline_rows(ident, open_deadlines)
                continue
            values = {k: v for k, v in columns.items() if k in _NEW}
            bind.execute(
                cases.update().where(cases.c.id == ident).values(agency_id=agency, **values)
            )
        if target is not None and new_deadlines:
            bind.execute(target.insert(), new_deadlines)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_intake_demands_agency_seq", table_name="intake_demands")
    for name in ("ix_cases_state_queue", "ix_cases_agency_queue", "ix_cases_open_queue"):
        op.drop_index(name, table_name="cases")
    op.drop_index("ix_cases_queue", table_name="cases")
    op.drop_index("ix_case_deadlines_due", table_name="case_deadlines")
    op.drop_index("ix_case_deadlines_case_id", table_name="case_deadlines")
    op.drop_table("case_deadlines")
    with op.batch_alter_table("cases") as table:
        for name in reversed(_NEW):
            table.drop_column(name)
