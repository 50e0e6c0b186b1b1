"""Every case's stored deadlines re-derived from its document, under the law in force.

The due list, the console's due page and the queue's "overdue" counts read ``case_deadlines`` and
``cases.next_due_at``, copies of ``Case.deadlines()`` written whenever a case is saved. When user
notice became owed before disclosure rather than on receipt (commit 0ba6aac), a case not saved
since kept a user-notice row due at its receipt, so an upgraded deployment listed old cases as
overdue for a notice not yet owed. This migration rewrites, for every case, its deadline rows and
its list columns through ``cases_repo.derived`` and ``cases_repo.deadline_rows``, the very
functions every save uses (as 0010 and 0011 did), so the rows say what the document says.

Batches of ``_BATCH`` cases in id order: per batch one select, one ranged delete and one insert
of deadline rows, and one executemany of the list columns of the cases whose columns changed, so
neither memory nor a statement grows with the deployment (100,000 cases: docs/benchmarks.md).

Why no audit-log entry: nothing on the record changes. The case document (what was received,
assessed, decided and done, each step already logged) is read, never written; the rows rewritten
are an index derived from it, which anyone can rebuild from the document, like a database index.
Logging them would put on the record a change that is not one (and a migration runs without the
log's signing key, which the application, not Alembic, holds).

Revision ID: 0012_deadlines
Revises: 0011_scale
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012_deadlines"
down_revision = "0011_scale"
branch_labels = None
depends_on = None

_BATCH = 2000


def upgrade() -> None:
    rederive_deadlines(op.get_bind())


def rederive_deadlines(bind: Any, batch: int = _BATCH) -> int:
    """Rewrite every case's ``case_deadlines`` rows, and the list columns that changed, from its
    document; return how many cases were read."""
    # Deferred: the derivation is the application's, loaded only to migrate.
    from comity.adapters.controlplane.cases_repo import (  # noqa: PLC0415
        deadline_rows,
        derived,
        utc,
    )
    from comity.domain.workflow import Case  # noqa: PLC0415

    meta = sa.MetaData()
    cases = sa.Table("cases", meta, autoload_with=bind)
    deadlines = sa.Table("case_deadlines", meta, autoload_with=bind)
    # The document as its JSON text (Pydantic parses and validates it in one pass), beside the
    # stored columns, to write back only those that changed.
    text = sa.cast(cases.c.document, sa.Text).label("document_text")
    query = sa.select(text, *(c for c in cases.c if c.name != "document"))
    last, seen = "", 0
    while True:
        rows = bind.execute(query.where(cases.c.id > last).order_by(cases.c.id).limit(batch)).all()
        if not rows:
            return seen
        new_rows: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for row in rows:
            stored = row._mapping
            columns, open_deadlines = derived(Case.model_validate_json(stored["document_text"]))
            new_rows += deadline_rows(row.id, open_deadlines)
            was = {n: utc(v) if isinstance(v, datetime) else v for n, v in stored.items()}
            if any(was[name] != value for name, value in columns.items()):
                changed.append({"case_id": row.id, **{f"new_{n}": v for n, v in columns.items()}})
        first, last = rows[0].id, rows[-1].id
        bind.execute(
            deadlines.delete().where(deadlines.c.case_id >= first, deadlines.c.case_id <= last)
        )
        if new_rows:
            bind.execute(deadlines.insert(), new_rows)
        if changed:
            names = [key.removeprefix("new_") for key in changed[0] if key != "case_id"]
            statement = (
                cases.update()
                .where(cases.c.id == sa.bindparam("case_id"))
                .values({name: sa.bindparam(f"new_{name}") for name in names})
            )
            bind.execute(statement, changed)
        seen += len(rows)


def downgrade() -> None:
    """Nothing to undo: the rows stay derived from the documents, which the older code also
    rewrites on every save."""
