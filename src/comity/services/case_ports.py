"""Ports for the case workflow: the case repository and the unit of work that carries it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from comity.domain.workflow import Case
from comity.services.intake_ports import IntakeUnitOfWork


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


class CaseUnitOfWork(IntakeUnitOfWork, Protocol):
    """The control-plane unit of work with intake and cases on the same transaction."""

    @property
    def cases(self) -> CaseRepository: ...

    def __enter__(self) -> CaseUnitOfWork: ...
