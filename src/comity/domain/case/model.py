"""Value types of the case workflow: roles, states, findings as the case sees them, decisions.

Everything is a frozen Pydantic model (``comity.domain.values.Frozen``) so a case persists as
plain JSON and reads back; times are timezone-aware and stored in UTC.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from comity.domain.assessment import DISCLOSING, Pathway
from comity.domain.audit import AuditEvent
from comity.domain.categories import Category
from comity.domain.values import Frozen, Instant


class WorkflowRole(StrEnum):
    REVIEWER = "reviewer"
    APPROVER = "approver"
    ADMINISTRATOR = "administrator"
    REQUESTER = "requester"
    SYSTEM = "system"


class Actor(Frozen):
    """Who acts, and the roles they hold (one person may hold several)."""

    id: str
    roles: frozenset[WorkflowRole]

    def has_any(self, roles: frozenset[WorkflowRole]) -> bool:
        return bool(self.roles & roles)


SYSTEM = Actor(id="system", roles=frozenset({WorkflowRole.SYSTEM}))


class CaseState(StrEnum):
    RECEIVED = "received"
    ASSESSED = "assessed"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    PARTLY_APPROVED = "partly_approved"
    REJECTED = "rejected"
    REDIRECTED = "redirected"
    OBJECTED = "objected"
    IN_PRODUCTION = "in_production"
    DELIVERED = "delivered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


#: Pathways under which producing is what the law engine advises.
PRODUCIBLE = DISCLOSING
#: Pathways under which withholding departs from the law engine (production is compelled).
COMPELLED = frozenset({Pathway.DISCLOSE, Pathway.NOTIFY_THEN_DISCLOSE})


class FindingRef(Frozen):
    """The part of a law-engine finding (contract section 5) that the workflow needs.

    The integrator maps each real finding to one of these; ``key`` identifies it within a case.
    """

    target: str
    category: Category
    region: str | None
    pathway: Pathway
    data_country: str | None = None
    reason: str | None = None
    deadline: Instant | None = None
    citation: str | None = None

    @property
    def key(self) -> str:
        return f"{self.target}|{self.category.value}|{self.region or '-'}"


class DecisionKind(StrEnum):
    PRODUCE = "produce"
    WITHHOLD = "withhold"
    NARROW = "narrow"


class Period(Frozen):
    start: date
    end: date


class FindingDecision(Frozen):
    """A reviewer's decision on one finding; ``justification`` is required to override."""

    key: str
    kind: DecisionKind
    period: Period | None = None
    justification: str | None = None
    overrides_pathway: bool = False
    decided_by: str
    decided_at: Instant


class HistoryEntry(Frozen):
    """One transition of the case, as the case remembers it."""

    at: Instant
    actor: str
    action: str
    from_state: CaseState
    to_state: CaseState
    reason: str | None = None


class CaseEvent(Frozen):
    """Something that happened to a case, to be written to the audit log by the caller.

    ``payload`` stays with the case; the log keeps its digest (see ``to_audit``).
    """

    time: Instant
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]

    def to_audit(self) -> AuditEvent:
        return AuditEvent.of(self.time, self.actor, self.action, self.subject, self.payload)
