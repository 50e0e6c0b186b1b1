"""SQL implementation of the case repository (``comity.services.cases.ports.CaseRepository``).

Every save writes the case's document and, in the same flush, what lists read from it: the
columns of ``cases`` (``derived``) and its open deadlines (``case_deadlines``). Lists are then
indexed queries with keyset pagination: a page continues after the key of the last row shown, so
its cost does not grow with how many cases there are or how deep the page is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, Text, cast, delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from comity.adapters.controlplane.case_tables import CaseDeadlineRow, CaseRow
from comity.adapters.controlplane.intake_tables import DemandRow
from comity.domain.workflow import Case, CaseState, Deadline, waiting_on
from comity.errors import Conflict
from comity.services.cases.ports import (
    CaseFilter,
    DueKey,
    DueRow,
    QueueKey,
    QueueLineRow,
    QueueRow,
)

#: The queue key of a case with no open deadline: after every real deadline.
FAR = datetime(9999, 12, 31, tzinfo=UTC)
_FINISHED = frozenset({CaseState.CLOSED, CaseState.WITHDRAWN})
#: The case document as the JSON text the database holds. Lists read it this way so Pydantic
#: parses and validates it in one pass (``model_validate_json``), about twice as fast as the
#: driver's ``json.loads`` followed by ``model_validate`` (0.09 against 0.18 ms for a case of
#: 2.5 kB); a queue page decodes 50 documents, and under load that CPU is the page's tail.
_DOCUMENT_TEXT = cast(CaseRow.document, Text)


#: Who recommended the case, read by the database from the document (the approve step's four
#: eyes need it), so a queue line does not decode the document in Python.
_RECOMMENDED_BY = CaseRow.document["recommended_by"].as_string()


def _queue_query(
    where: CaseFilter, limit: int | None, after: QueueKey | None, *columns: Any
) -> Select[Any]:
    """The queue's indexed query: ``columns`` then the key (next due, receipt, id) of each case
    ``where`` admits, in key order after ``after``, at most ``limit``."""
    order = (CaseRow.next_due_at, CaseRow.received_at, CaseRow.id)
    query = select(*columns, *order).order_by(*order)
    if where.states is not None:
        query = query.where(CaseRow.state.in_(where.states))
    if where.open_only:
        query = query.where(CaseRow.is_open.is_(True))
    if where.agency_id is not None:
        query = query.where(CaseRow.agency_id == where.agency_id)
    if where.emergency is not None:
        query = query.where(CaseRow.emergency.is_(where.emergency))
    if where.waiting_on is not None:
        query = query.where(CaseRow.waiting_on.in_(where.waiting_on))
    if after is not None:
        query = query.where(
            tuple_(*order) > tuple_(utc(after.next_due_at), utc(after.received_at), after.case_id)
        )
    if limit is not None:
        query = query.limit(limit)
    return query


#: A case's open deadlines as (due at, the deadline's JSON text).
_Deadlines = list[tuple[datetime, str]]


def _case(text: str) -> Case:
    return Case.model_validate_json(text)


def utc(value: datetime) -> datetime:
    """An instant in UTC; SQLite keeps wall times without their offset, so all are stored in UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def derived(case: Case) -> tuple[dict[str, Any], list[Deadline]]:
    """What the lists read, derived from the case alone: the copied columns and open deadlines.

    The one place these copies come from (the repository on every save, migrations 0010 to 0012
    for the cases stored before them), so they always say what the document says.
    """
    deadlines = case.deadlines()
    soonest = min((d.due_at for d in deadlines), default=FAR)
    columns = {
        "state": case.state.value,
        "reference": case.reference,
        "received_at": utc(case.received_at),
        "is_open": case.state not in _FINISHED,
        "next_due_at": utc(soonest),
        "emergency": case.emergency,
        "instrument": case.instrument,
        "waiting_on": waiting_on(case).value,
    }
    return columns, deadlines


def deadline_rows(case_id: str, deadlines: Iterable[Deadline]) -> list[dict[str, Any]]:
    """``case_deadlines`` rows for a case's open deadlines (for a set-based insert)."""
    return [
        {
            "case_id": case_id,
            "due_at": utc(d.due_at),
            "subject": d.subject,
            "kind": d.kind,
            "document": d.model_dump(mode="json"),
        }
        for d in deadlines
    ]


class SqlCaseRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, case: Case, demand_id: str | None, at: datetime) -> None:
        if self._s.get(CaseRow, case.case_id) is not None:
            raise Conflict(f"case {case.case_id} already exists")
        if demand_id is not None and self.for_demand(demand_id) is not None:
            raise Conflict(f"demand {demand_id} already has a case")
        agency = None
        if demand_id is not None:
            agency = self._s.scalar(select(DemandRow.agency_id).where(DemandRow.id == demand_id))
        columns, deadlines = derived(case)
        self._s.add(
            CaseRow(
                id=case.case_id,
                demand_id=demand_id,
                document=case.model_dump(mode="json"),
                version=1,
                opened_at=at,
                updated_at=at,
                agency_id=agency,
                **columns,
            )
        )
        self._s.flush()
        self._write_deadlines(case.case_id, deadlines)

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

    def for_demands(
        self, demand_ids: Iterable[str], agency_id: str | None = None
    ) -> Mapping[str, Case]:
        wanted = list(dict.fromkeys(demand_ids))
        found: dict[str, Case] = {}
        for start in range(0, len(wanted), 500):  # bounded IN lists
            query = select(CaseRow.demand_id, _DOCUMENT_TEXT).where(
                CaseRow.demand_id.in_(wanted[start : start + 500])
            )
            if agency_id is not None:
                query = query.where(CaseRow.agency_id == agency_id)
            for demand_id, doc in self._s.execute(query):
                if demand_id is not None:  # always: the query asked for these demands
                    found[demand_id] = _case(doc)
        return found

    def demand_of(self, case_id: str) -> str | None:
        row = self._s.get(CaseRow, case_id)
        return None if row is None else row.demand_id

    def update(self, case: Case, at: datetime) -> int:
        row = self._s.get(CaseRow, case.case_id)
        if row is None:
            raise KeyError(case.case_id)
        columns, deadlines = derived(case)
        for name, value in columns.items():
            setattr(row, name, value)
        row.document = case.model_dump(mode="json")
        row.version += 1
        row.updated_at = at
        self._s.flush()
        self._s.execute(delete(CaseDeadlineRow).where(CaseDeadlineRow.case_id == case.case_id))
        self._write_deadlines(case.case_id, deadlines)
        return row.version

    def _write_deadlines(self, case_id: str, deadlines: list[Deadline]) -> None:
        rows = deadline_rows(case_id, deadlines)
        if rows:
            self._s.execute(insert(CaseDeadlineRow), rows)

    def list_with_demands(
        self, states: Iterable[str] | None = None
    ) -> Sequence[tuple[Case, str | None]]:
        query = select(_DOCUMENT_TEXT, CaseRow.demand_id).order_by(CaseRow.opened_at, CaseRow.id)
        if states is not None:
            query = query.where(CaseRow.state.in_(list(states)))
        return [(_case(doc), demand) for doc, demand in self._s.execute(query)]

    def list(self, states: Iterable[str] | None = None) -> Sequence[Case]:
        query = select(CaseRow).order_by(CaseRow.opened_at, CaseRow.id)
        if states is not None:
            query = query.where(CaseRow.state.in_(list(states)))
        return [Case.model_validate(row.document) for row in self._s.scalars(query)]

    def page(
        self, where: CaseFilter, limit: int | None, after: QueueKey | None = None
    ) -> Sequence[QueueRow]:
        query = _queue_query(where, limit, after, _DOCUMENT_TEXT, CaseRow.demand_id)
        return [
            QueueRow(_case(doc), demand, QueueKey(utc(due), utc(received), ident))
            for doc, demand, due, received, ident in self._s.execute(query)
        ]

    def line_page(
        self, where: CaseFilter, limit: int | None, after: QueueKey | None = None
    ) -> Sequence[QueueLineRow]:
        query = _queue_query(
            where,
            limit,
            after,
            CaseRow.demand_id,
            CaseRow.reference,
            CaseRow.instrument,
            CaseRow.state,
            CaseRow.waiting_on,
            _RECOMMENDED_BY,
        )
        rows = self._s.execute(query).all()
        deadlines = self._deadlines_of([row[-1] for row in rows])
        return [
            QueueLineRow(
                case_id=ident,
                demand_id=demand,
                reference=reference,
                instrument=instrument,
                state=state,
                received_at=utc(received),
                waiting_on=party,
                recommended_by=recommended,
                deadlines=tuple(deadlines.get(ident, ())),
                key=QueueKey(utc(due), utc(received), ident),
            )
            for demand, reference, instrument, state, party, recommended, due, received, ident in (
                rows
            )
        ]

    def _deadlines_of(self, case_ids: Sequence[str]) -> dict[str, _Deadlines]:
        """The open deadlines of these cases (one query), each case's soonest first; equal
        instants in the order the case listed them (rows are inserted in that order)."""
        if not case_ids:
            return {}
        d = CaseDeadlineRow
        query = (
            select(d.case_id, d.due_at, cast(d.document, Text))
            .where(d.case_id.in_(case_ids))
            .order_by(d.case_id, d.due_at, d.id)
        )
        found: dict[str, _Deadlines] = {}
        for case_id, due_at, doc in self._s.execute(query):
            found.setdefault(case_id, []).append((utc(due_at), doc))
        return found

    def waiting_counts(self) -> Mapping[str, int]:
        query = (
            select(CaseRow.waiting_on, func.count())
            .where(CaseRow.is_open.is_(True))
            .group_by(CaseRow.waiting_on)
        )
        return {str(party): int(n) for party, n in self._s.execute(query)}

    def due_by(
        self, until: datetime, limit: int | None, after: DueKey | None = None
    ) -> Sequence[DueRow]:
        d = CaseDeadlineRow
        order = (d.due_at, d.subject, d.kind, d.case_id)
        query = (
            select(cast(d.document, Text), CaseRow.reference, CaseRow.state, *order)
            .join(CaseRow, CaseRow.id == d.case_id)
            .where(d.due_at <= utc(until))
            .order_by(*order)
        )
        if after is not None:
            key = (utc(after.due_at), after.subject, after.kind, after.case_id)
            query = query.where(tuple_(*order) > tuple_(*key))
        if limit is not None:
            query = query.limit(limit)
        return [
            DueRow(
                Deadline.model_validate_json(doc),  # parsed once, as for case documents
                ident,
                reference,
                state,
                DueKey(utc(due_at), subject, kind, ident),
            )
            for doc, reference, state, due_at, subject, kind, ident in self._s.execute(query)
        ]
