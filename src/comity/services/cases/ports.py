"""Ports for the case workflow: the case repository and the unit of work that carries it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from comity.domain.workflow import Case, Deadline
from comity.services.intake.ports import IntakeUnitOfWork


@dataclass(frozen=True)
class QueueKey:
    """Where a case stands in the queue: next deadline (far future if none), receipt, id.

    The queue is ordered by this key, and a page continues after the last key it showed
    (keyset pagination: a page costs the same however deep it is).
    """

    next_due_at: datetime
    received_at: datetime
    case_id: str


@dataclass(frozen=True)
class CaseFilter:
    """Which cases a list shows; every field narrows, None means any."""

    states: tuple[str, ...] | None = None
    open_only: bool = False
    agency_id: str | None = None
    emergency: bool | None = None
    #: Only cases waiting on one of these parties (``comity.domain.workflow.WaitingOn`` values).
    waiting_on: tuple[str, ...] | None = None


@dataclass(frozen=True)
class QueueRow:
    case: Case
    demand_id: str | None
    key: QueueKey


@dataclass(frozen=True)
class QueueLineRow:
    """A case's queue line as its indexed copies hold it, without the case document.

    ``deadlines`` are the case's open deadlines (``case_deadlines``) as (due at, the deadline's
    JSON text), soonest first and, for equal instants, in the order the case lists them: the
    service counts the overdue ones and decodes only the first.
    """

    case_id: str
    demand_id: str | None
    reference: str
    instrument: str
    state: str
    received_at: datetime
    waiting_on: str
    recommended_by: str | None
    deadlines: tuple[tuple[datetime, str], ...]
    key: QueueKey


@dataclass(frozen=True)
class DueKey:
    """Where a deadline stands in the due list: when, what, which kind, which case."""

    due_at: datetime
    subject: str
    kind: str
    case_id: str


@dataclass(frozen=True)
class DueRow:
    deadline: Deadline
    case_id: str
    reference: str
    state: str
    key: DueKey


class CaseRepository(Protocol):
    def add(self, case: Case, demand_id: str | None, at: datetime) -> None:
        """Store a new case; a demand has at most one case (``Conflict`` otherwise)."""
        ...

    def get(self, case_id: str, *, for_update: bool = False) -> Case | None:
        """The case; ``for_update`` locks its row until the transaction ends."""
        ...

    def for_demand(self, demand_id: str) -> Case | None: ...

    def demand_of(self, case_id: str) -> str | None: ...

    def update(self, case: Case, at: datetime) -> int:
        """Save the case's new value; returns its new version."""
        ...

    def list(self, states: Iterable[str] | None = None) -> Sequence[Case]: ...

    def list_with_demands(
        self, states: Iterable[str] | None = None
    ) -> Sequence[tuple[Case, str | None]]:
        """Every case (in ``states``) with its demand's id, in one query."""
        ...

    def page(
        self, where: CaseFilter, limit: int | None, after: QueueKey | None = None
    ) -> Sequence[QueueRow]:
        """Cases matching ``where`` in queue order, after ``after``, at most ``limit``."""
        ...

    def line_page(
        self, where: CaseFilter, limit: int | None, after: QueueKey | None = None
    ) -> Sequence[QueueLineRow]:
        """``page`` read from the indexed copies only (no case document decoded)."""
        ...

    def for_demands(
        self, demand_ids: Iterable[str], agency_id: str | None = None
    ) -> Mapping[str, Case]:
        """The cases of these demands (those that have one; of ``agency_id``'s demands only,
        if given), by demand id, in one query."""
        ...

    def waiting_counts(self) -> Mapping[str, int]:
        """How many open cases wait on each party (``WaitingOn`` values; absent means none)."""
        ...

    def due_by(
        self, until: datetime, limit: int | None, after: DueKey | None = None
    ) -> Sequence[DueRow]:
        """Open deadlines falling due at or before ``until``, soonest first, after ``after``."""
        ...


class CaseUnitOfWork(IntakeUnitOfWork, Protocol):
    """The control-plane unit of work with intake and cases on the same transaction."""

    @property
    def cases(self) -> CaseRepository: ...

    def __enter__(self) -> CaseUnitOfWork: ...
