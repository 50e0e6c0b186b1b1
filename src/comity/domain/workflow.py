"""The case workflow's public face: what the integrator calls.

Every action returns ``(new_case, events)``; write each event with
``uow.audit.record(event.to_audit())`` and store ``case.model_dump(mode="json")`` (read it back
with ``Case.model_validate``) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from comity.domain.assessment import Pathway
from comity.domain.case.case import Case, Step, new_case
from comity.domain.case.court import record_court_event
from comity.domain.case.holds import HOLD_LAW, HoldBasis, PreservationHold
from comity.domain.case.model import (
    SYSTEM,
    Actor,
    CaseEvent,
    CaseState,
    DecisionKind,
    FindingDecision,
    FindingRef,
    Period,
    WorkflowRole,
)
from comity.domain.case.notice import NoticePlan
from comity.domain.case.transitions import TABLE, Action, allowed_actions
from comity.domain.case.waiting import WaitingOn, waiting_on
from comity.domain.court_events import COURT_EVENT, CourtEvent, FindingScope
from comity.domain.deadlines import Deadline, DueReport, due
from comity.domain.demand import Demand


def new_case_for_demand(
    demand: Demand,
    *,
    case_id: str,
    zone: str,
    now: datetime,
    customer: str | None = None,
    actor: str = "system",
) -> Step:
    """A case for a parsed demand (contract section 4).

    ``zone`` is where days are counted: the issuing court's for US process (America/New_York
    for S.D.N.Y.), the addressee's establishment for e-Evidence orders (Europe/Dublin).
    ``customer`` names the enterprise customer to tell, for redirect_entity accounts.
    """
    period = Period(start=demand.period.start, end=demand.period.end) if demand.period else None
    return new_case(
        case_id=case_id,
        reference=demand.reference,
        instrument=demand.instrument,
        issuer_country=demand.issuer_country,
        received_at=demand.received_at,
        zone=zone,
        now=now,
        emergency=demand.emergency is not None,
        period=period,
        non_disclosure_until=demand.non_disclosure_until,
        non_disclosure_indefinite=demand.non_disclosure_indefinite,
        customer=customer,
        actor=actor,
    )


def due_list(cases: Iterable[Case], *, now: datetime, window: timedelta) -> DueReport:
    """What is overdue and what falls due within ``window`` across ``cases``, at ``now``."""
    return due((d for case in cases for d in case.deadlines()), now=now, window=window)


__all__ = [
    "COURT_EVENT",
    "HOLD_LAW",
    "SYSTEM",
    "TABLE",
    "Action",
    "Actor",
    "Case",
    "CaseEvent",
    "CaseState",
    "CourtEvent",
    "Deadline",
    "DecisionKind",
    "DueReport",
    "FindingDecision",
    "FindingRef",
    "FindingScope",
    "HoldBasis",
    "NoticePlan",
    "Pathway",
    "Period",
    "PreservationHold",
    "Step",
    "WaitingOn",
    "WorkflowRole",
    "allowed_actions",
    "due_list",
    "new_case",
    "new_case_for_demand",
    "record_court_event",
    "waiting_on",
]
