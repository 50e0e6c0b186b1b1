"""Ports for intake: the registry/demand repository, its unit of work, and the law engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from comity.domain.accounts import Account, Selector
from comity.domain.assessment import Assessment
from comity.domain.demand import Demand
from comity.domain.intake import AssessmentRecord, Attachment, DemandRecord
from comity.domain.registry import Authority, User
from comity.services.ports import UnitOfWork


class Assessor(Protocol):
    """The law engine, seen from intake: a demand and a date in, the typed ``Assessment`` out
    (its ``to_document()`` is contract section 5 JSON, which is what is stored).

    ``services.assessment.law_assessor.LawAssessor`` adapts ``comity.law.engine.LawEngine`` to
    this; the composition root builds it (``Comity.assessor``).
    """

    def assess(self, demand: Demand, as_of: date) -> Assessment: ...


@dataclass(frozen=True)
class DemandFilter:
    status: str | None = None
    emergency: bool | None = None
    agency_id: str | None = None
    reference: str | None = None
    blocked: bool | None = None
    #: Received on or after this instant (inclusive) / before this instant (exclusive).
    received_from: datetime | None = None
    received_before: datetime | None = None


@dataclass(frozen=True)
class DemandStatusView:
    """The few stored columns a status poll needs (no document to decode)."""

    id: str
    agency_id: str | None
    status: str
    verification: str
    disclosure_blocked_reason: str | None


class IntakeRepository(Protocol):
    def add_authority(self, authority: Authority, at: datetime) -> None: ...

    def get_authority(self, authority_id: str) -> Authority | None: ...

    def list_authorities(self) -> Sequence[Authority]: ...

    def update_authority(self, authority: Authority) -> None: ...

    def add_user(self, user: User, at: datetime) -> None: ...

    def get_user(self, user_id: str) -> User | None: ...

    def get_user_by_email(self, email: str) -> User | None: ...

    def list_users(self, agency_id: str | None = None) -> Sequence[User]: ...

    def update_user(self, user: User) -> None: ...

    def add_token(self, token_hash: str, user_id: str, label: str, at: datetime) -> None: ...

    def user_for_token(self, token_hash: str) -> User | None: ...

    def revoke_credentials(self, user_id: str) -> int:
        """Delete every API token and console session of ``user_id``; how many there were."""
        ...

    def add_demand(self, record: DemandRecord, idempotency_key: str) -> None: ...

    def find_demand(self, idempotency_key: str) -> DemandRecord | None: ...

    def get_demand(self, demand_id: str) -> DemandRecord | None: ...

    def get_demand_status(self, demand_id: str) -> DemandStatusView | None: ...

    def page_demands(
        self,
        where: DemandFilter,
        limit: int | None,
        after: int | None = None,
        *,
        newest_first: bool = False,
    ) -> Sequence[tuple[DemandRecord, int]]:
        """Demands matching ``where`` in filing order (or its reverse), each with its filing
        sequence number, those after sequence ``after`` in that order only, at most ``limit``
        (keyset pagination)."""
        ...

    def count_demands(self, where: DemandFilter) -> int:
        """How many demands match ``where`` (the console's counts; lists do not count)."""
        ...

    def update_demand(self, record: DemandRecord) -> None: ...

    def add_attachment(self, attachment: Attachment, content: bytes) -> None: ...

    def list_attachments(self, demand_id: str) -> Sequence[Attachment]: ...

    def get_attachment(
        self, demand_id: str, attachment_id: str
    ) -> tuple[Attachment, bytes] | None: ...

    def add_assessment(self, record: AssessmentRecord) -> None: ...

    def get_assessment(self, assessment_id: str) -> AssessmentRecord | None: ...

    def list_assessments(self, demand_id: str) -> Sequence[AssessmentRecord]: ...


class IntakeUnitOfWork(UnitOfWork, Protocol):
    """The control-plane unit of work with the intake repository on the same transaction."""

    @property
    def intake(self) -> IntakeRepository: ...

    def __enter__(self) -> IntakeUnitOfWork: ...


class AccountFinder(Protocol):
    def __call__(self, selector: Selector) -> Account | None: ...
