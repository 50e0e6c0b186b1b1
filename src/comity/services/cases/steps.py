"""Writing a workflow step: the case's new value and its audit events, in one transaction.

Every case action in the domain returns ``(case, events)``; this is the one place that turns such
a step into rows, so no caller can save a case without logging why (architecture: every change is
logged in the same transaction). The caller commits.
"""

from __future__ import annotations

from datetime import datetime

from comity.domain.workflow import Case, CaseEvent
from comity.services.cases.ports import CaseUnitOfWork


def record_opening(
    uow: CaseUnitOfWork,
    step: tuple[Case, list[CaseEvent]],
    *,
    demand_id: str | None,
    at: datetime,
) -> Case:
    case, events = step
    uow.cases.add(case, demand_id, at)
    for event in events:
        uow.audit.record(event.to_audit())
    return case


def record_step(uow: CaseUnitOfWork, step: tuple[Case, list[CaseEvent]], at: datetime) -> Case:
    case, events = step
    uow.cases.update(case, at)
    for event in events:
        uow.audit.record(event.to_audit())
    return case
