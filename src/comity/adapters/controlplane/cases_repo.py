"""SQL implementation of the case repository (``comity.services.case_ports.CaseRepository``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.adapters.controlplane.case_tables import CaseRow
from comity.domain.workflow import Case
from comity.errors import Conflict


class SqlCaseRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, case: Case, demand_id: str | None, at: datetime) -> None:
        if self._s.get(CaseRow, case.case_id) is not None:
            raise Conflict(f"case {case.case_id} already exists")
        if demand_id is not None and self.for_demand(demand_id) is not None:
            raise Conflict(f"demand {demand_id} already has a case")
        self._s.add(
            CaseRow(
                id=case.case_id,
                demand_id=demand_id,
                reference=case.reference,
                state=case.state.value,
                document=case.model_dump(mode="json"),
                version=1,
                opened_at=at,
                updated_at=at,
            )
        )
        self._s.flush()

    def get(self, case_id: str, *, for_update: bool = False) -> Case | None:
        query = select(CaseRow).where(CaseRow.id == case_id)
        if for_update:
            # PostgreSQL: two approvers acting at once queue on the row; SQLite's BEGIN IMMEDIATE
            # already serialises writers.
            query = query.with_for_update()
        row = self._s.scalars(query).one_or_none()
        return None if row is None else Case.model_validate(row.document)

    def for_demand(self, demand_id: str) -> Case | None:
        row = self._s.scalars(select(CaseRow).where(CaseRow.demand_id == demand_id)).one_or_none()
        return None if row is None else Case.model_validate(row.document)

    def demand_of(self, case_id: str) -> str | None:
        row = self._s.get(CaseRow, case_id)
        return None if row is None else row.demand_id

    def update(self, case: Case, at: datetime) -> int:
        row = self._s.get(CaseRow, case.case_id)
        if row is None:
            raise KeyError(case.case_id)
        row.state = case.state.value
        row.reference = case.reference
        row.document = case.model_dump(mode="json")
        row.version += 1
        row.updated_at = at
        self._s.flush()
        return row.version

    def list_with_demands(
        self, states: Iterable[str] | None = None
    ) -> Sequence[tuple[Case, str | None]]:
        query = select(CaseRow.document, CaseRow.demand_id).order_by(CaseRow.opened_at, CaseRow.id)
        if states is not None:
            query = query.where(CaseRow.state.in_(list(states)))
        return [(Case.model_validate(doc), demand) for doc, demand in self._s.execute(query)]

    def list(self, states: Iterable[str] | None = None) -> Sequence[Case]:
        query = select(CaseRow).order_by(CaseRow.opened_at, CaseRow.id)
        if states is not None:
            query = query.where(CaseRow.state.in_(list(states)))
        return [Case.model_validate(row.document) for row in self._s.scalars(query)]
