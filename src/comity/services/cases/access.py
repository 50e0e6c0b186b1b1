"""Who may see a case, who the workflow thinks is acting, and how an action reaches the database.

Staff see every case; a requester sees only cases of their agency's demands (any other is a 404,
as if it did not exist) and never the internal review: decisions, justifications, reasons, who
did what. Every action loads the case with ``for_update=True`` and writes the new case with its
audit events in one transaction (``case_steps.record_step``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comity.domain import permissions
from comity.domain.registry import StaffRole, User
from comity.domain.workflow import Actor, Case, CaseEvent, Step, WorkflowRole
from comity.errors import Forbidden, NotFound
from comity.services.cases.ports import CaseUnitOfWork
from comity.services.cases.steps import record_step
from comity.services.ports import Clock

CaseUowFactory = Callable[[], CaseUnitOfWork]

_ROLES = {
    StaffRole.REVIEWER: WorkflowRole.REVIEWER,
    StaffRole.APPROVER: WorkflowRole.APPROVER,
    StaffRole.ADMINISTRATOR: WorkflowRole.ADMINISTRATOR,
}


def workflow_actor(user: User) -> Actor:
    """The intake user as the workflow sees them: staff roles map one to one (an auditor has
    none, so can act on nothing); a requester is a requester."""
    if not user.is_staff:
        return Actor(id=user.id, roles=frozenset({WorkflowRole.REQUESTER}))
    return Actor(id=user.id, roles=frozenset(_ROLES[r] for r in user.roles if r in _ROLES))


def load_case(
    uow: CaseUnitOfWork, user: User | None, case_id: str, *, for_update: bool = False
) -> Case:
    """The case if ``user`` may see it (``None``: Comity itself); else the same 404 as for none."""
    case = uow.cases.get(case_id, for_update=for_update)
    if user is not None and user.is_staff:
        permissions.check(user, permissions.Action.READ_INTERNAL)
    elif user is not None and case is not None:
        demand_id = uow.cases.demand_of(case_id)
        record = uow.intake.get_demand(demand_id) if demand_id else None
        if record is None or record.agency_id != user.agency_id:
            case = None
    if case is None:
        raise NotFound(f"no case with id {case_id!r}")
    return case


def act(
    uow_factory: CaseUowFactory,
    clock: Clock,
    user: User,
    case_id: str,
    step: Callable[[Case, Actor, datetime], Step],
) -> Case:
    """Load the case for update, apply ``step`` as ``user`` at the clock's now, save, commit."""
    with uow_factory() as uow:
        now = uow.now  # the unit's one clock reading, for the case and its audit entries
        case = act_in(uow, user, case_id, now, step)
        uow.commit()
    return case


def act_in(
    uow: CaseUnitOfWork,
    user: User,
    case_id: str,
    now: datetime,
    step: Callable[[Case, Actor, datetime], Step],
    *,
    audit_extra: dict[str, Any] | None = None,
    requester_may: bool = False,
) -> Case:
    """``act`` inside a unit of work the caller holds and commits (for other services).

    A requester who may see the case may still only withdraw (``requester_may``).
    """
    case = load_case(uow, user, case_id, for_update=True)
    if not user.is_staff and not requester_may:
        raise Forbidden(f"{user.id} is a requester: a requester may only withdraw their demand")
    new, events = step(case, workflow_actor(user), now)
    if audit_extra:
        events = [_with_extra(e, audit_extra) for e in events]
    return record_step(uow, (new, events), now)


def _with_extra(event: CaseEvent, extra: dict[str, Any]) -> CaseEvent:
    return event.model_copy(update={"payload": {**event.payload, **extra}})


@dataclass(frozen=True)
class CaseView:
    """A case as shown to one caller at one instant."""

    case: Case
    demand_id: str | None
    now: datetime
    #: Who is looking: ``allowed_actions`` lists what *they* may do now (permission table),
    #: not every step the state allows; None lists the state's steps (Comity's own view).
    viewer: User | None = None

    def to_document(self, *, internal: bool = True) -> dict[str, Any]:
        case = self.case
        if not internal:
            return {
                "id": case.case_id,
                "demand": self.demand_id,
                "reference": case.reference,
                "instrument": case.instrument,
                "state": case.state.value,
                "received_at": case.received_at.isoformat(),
                "history": [  # state changes only: no actors, reasons or internal steps
                    {"at": h.at.isoformat(), "from": h.from_state.value, "to": h.to_state.value}
                    for h in case.history
                    if h.from_state is not h.to_state
                ],
            }
        return {
            "id": case.case_id,
            "demand": self.demand_id,
            "allowed_actions": (
                case.allowed_actions()
                if self.viewer is None
                else permissions.allowed_actions(self.viewer, case)
            ),
            "statuses": case.statuses(),
            "deadlines": [d.model_dump(mode="json") for d in case.deadlines()],
            "active_holds": [h.hold_id for h in case.active_holds(self.now)],
            "production_bar": _bar(case),
            "case": case.model_dump(mode="json"),
        }


def _bar(case: Case) -> str | None:
    motion = case.production_bar()
    return None if motion is None else f"motion {motion.motion_id} under 18 U.S.C. 2703(h)"
