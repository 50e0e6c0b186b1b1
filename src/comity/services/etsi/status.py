"""HI-1 statuses from Comity's state: pure, so the table can be read and tested on its own.

An LD task's status (dictionary ``LDTaskStatus``) follows the case and, within it, the findings
for the task's categories: a case still being assessed or reviewed is ``AwaitingApproval``; once
approved, the categories decided for production are ``AwaitingDisclosure`` until the package is
published, then ``Disclosed``; categories where the provider holds nothing are
``DisclosureNotAvailable``; withheld, rejected or redirected ones are ``Rejected`` with the reason.
LP tasks (``LPTaskStatus``) are ``Preserved`` once the case holds the data.
"""

from __future__ import annotations

from dataclasses import dataclass

from comity.domain.assessment import Pathway
from comity.domain.intake import DemandStatus
from comity.domain.workflow import Case, CaseState, DecisionKind

_REVIEWING = frozenset({CaseState.RECEIVED, CaseState.ASSESSED, CaseState.IN_REVIEW})
_APPROVED = frozenset(
    {
        CaseState.APPROVED,
        CaseState.PARTLY_APPROVED,
        CaseState.IN_PRODUCTION,
        CaseState.DELIVERED,
        CaseState.CLOSED,
    }
)
_REDIRECTS = frozenset({Pathway.REDIRECT_MLAT, Pathway.REDIRECT_ENTITY})


@dataclass(frozen=True)
class Status:
    value: str
    reason: str | None = None


def _closed(demand_status: DemandStatus, case: Case | None) -> Status | None:
    if demand_status is DemandStatus.WITHDRAWN or (
        case is not None and case.state is CaseState.WITHDRAWN
    ):
        return Status("Cancelled", "the requester withdrew the demand")
    if demand_status is DemandStatus.REFUSED:
        return Status("Rejected", "the provider refused the request: its sender was not verified")
    if case is not None and case.state is CaseState.REJECTED:
        return Status("Rejected", case.outcome or "the provider rejected the demand")
    if case is not None and case.state is CaseState.REDIRECTED:
        return Status(
            "Rejected",
            case.outcome or "the demand cannot reach this data; it must be redirected",
        )
    return None


def ld_task_status(  # noqa: PLR0911 - one return per row of the status table
    categories: tuple[str, ...],
    demand_status: DemandStatus,
    case: Case | None,
    *,
    published: bool,
) -> Status:
    """The ``LDTaskStatus`` of a production task asking for ``categories``."""
    closed = _closed(demand_status, case)
    if closed is not None:
        return closed
    if case is None:
        return Status("AwaitingApproval")
    relevant = [f for f in case.findings if f.category.value in categories]
    if relevant and all(f.pathway is Pathway.NO_DATA for f in relevant):
        return Status("DisclosureNotAvailable", "the provider holds no such data for the targets")
    if case.state in _REVIEWING or case.state is CaseState.OBJECTED:
        reason = "the provider objected to the demand" if case.state is CaseState.OBJECTED else None
        return Status("AwaitingApproval", reason)
    if case.state not in _APPROVED:
        return Status("AwaitingApproval")
    produced = [
        f
        for f in relevant
        if (d := case.decisions.get(f.key)) is not None
        and d.kind in (DecisionKind.PRODUCE, DecisionKind.NARROW)
    ]
    if not produced:
        if relevant and all(f.pathway in _REDIRECTS for f in relevant):
            return Status("Rejected", "the demand cannot reach this data; it must be redirected")
        return Status("Rejected", "the provider withheld this data after review")
    if published or case.state is CaseState.DELIVERED:
        return Status("Disclosed")
    return Status("AwaitingDisclosure")


def lp_task_status(
    categories: tuple[str, ...], demand_status: DemandStatus, case: Case | None
) -> Status:
    """The ``LPTaskStatus`` of a preservation task for ``categories``."""
    closed = _closed(demand_status, case)
    if closed is not None:
        return closed
    if case is None:
        return Status("AwaitingPreservation")
    held = [
        h
        for h in case.holds
        if h.released_at is None and any(c.value in categories for c in h.categories)
    ]
    if held:
        return Status("Preserved")
    relevant = [f for f in case.findings if f.category.value in categories]
    if relevant and all(f.pathway is Pathway.NO_DATA for f in relevant):
        return Status("PreservationNotAvailable", "the provider holds no such data for the targets")
    return Status("AwaitingPreservation")


def authorisation_status(demand_status: DemandStatus, case: Case | None) -> Status:
    """The ``AuthorisationStatus``: approved once the provider's approver has signed off."""
    closed = _closed(demand_status, case)
    if closed is not None:
        return Status("Cancelled" if closed.value == "Cancelled" else "Rejected", closed.reason)
    if case is not None and case.state in _APPROVED:
        return Status("Approved")
    return Status("AwaitingApproval")
