"""The move journal (``MoveJournal`` port) on the control plane's session."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.adapters.controlplane.custody_tables import MoveRow
from comity.domain.categories import Category
from comity.services.custody.ports import MoveStep


def _step(row: MoveRow) -> MoveStep:
    return MoveStep(
        row.id,
        row.account_id,
        Category(row.category),
        row.source,
        row.destination,
        row.whole_account,
        row.state,
    )


class SqlMoveJournal:
    def __init__(self, session: Session, now: Callable[[], datetime]) -> None:
        self._session = session
        self._now = now

    def unfinished(self, account_id: str) -> list[MoveStep]:
        rows = self._session.scalars(
            select(MoveRow)
            .where(MoveRow.account_id == account_id, MoveRow.state != "done")
            .order_by(MoveRow.id)
        )
        return [_step(r) for r in rows]

    def start(
        self,
        account_id: str,
        category: Category,
        source: str,
        destination: str,
        *,
        whole_account: bool,
    ) -> MoveStep:
        now = self._now()
        row = MoveRow(
            account_id=account_id,
            category=category.value,
            source=source,
            destination=destination,
            whole_account=whole_account,
            state="copying",
            started_at=now,
            updated_at=now,
        )
        self._session.add(row)
        self._session.flush()
        return _step(row)

    def advance(
        self, step_id: int, state: str, *, records: int | None = None, digest: str | None = None
    ) -> None:
        row = self._session.get(MoveRow, step_id)
        if row is None:
            raise KeyError(step_id)
        row.state = state
        row.updated_at = self._now()
        if records is not None:
            row.records = records
        if digest is not None:
            row.digest = digest
        self._session.flush()
