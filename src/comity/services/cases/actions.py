"""The case service: a case per stored demand, the review queue, and the workflow's actions.

A case opens for a demand once the law engine has assessed it: the engine runs first (outside
any transaction, since it reads accounts through its own unit of work), then the case, its
opening and assessment events and the stored assessment are written in one transaction.
``file_demand`` is intake's front door: it stores a demand and opens its case in one call
(``ensure_case``, when a law engine is configured); ``open_case`` is the explicit form for
demands without one.

Every action takes the unit-of-work factory, the acting user, the case id and its arguments;
``now`` comes from the clock. The pure rules (state machine, four eyes, court bars) are the
domain's (``comity.domain.workflow``); this module loads, checks visibility and saves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from comity.domain import permissions
from comity.domain.demand import Vocabulary
from comity.domain.deployment import Deployment
from comity.domain.intake import AssessmentRecord, DemandRecord
from comity.domain.registry import User
from comity.domain.workflow import (
    SYSTEM,
    Actor,
    Case,
    CaseState,
    DecisionKind,
    Pathway,
    Period,
    Step,
    new_case_for_demand,
)
from comity.errors import Conflict, InvalidInput, NotFound
from comity.services.assessment.stored import assess_stored, store_assessment
from comity.services.cases.access import (
    CaseUowFactory,
    CaseView,
    act,
    act_in,
    load_case,
    workflow_actor,
)
from comity.services.cases.findings import case_zone, finding_refs
from comity.services.cases.ports import CaseUnitOfWork
from comity.services.cases.queue import QueueItem, queue_page
from comity.services.cases.steps import record_opening, record_step
from comity.services.intake import demands
from comity.services.intake.ports import Assessor
from comity.services.ports import Clock

FINISHED = frozenset({CaseState.CLOSED, CaseState.WITHDRAWN})


@dataclass(frozen=True)
class LawContext:
    """What opening or re-assessing a case needs besides the database: the law and the place."""

    assessor: Assessor
    deployment: Deployment
    known_countries: frozenset[str]


# --- opening ---------------------------------------------------------------------------------


def open_case(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    demand_id: str,
    law: LawContext,
    *,
    as_of: date | None = None,
) -> Case:
    """Open the case of a stored demand that has none (staff); ``Conflict`` if it has one."""
    permissions.check(actor, permissions.Action.HANDLE_DEMAND)
    record = demands.visible_demand(uow_factory, actor, demand_id)
    with uow_factory() as uow:
        existing = uow.cases.for_demand(demand_id)
    if existing is not None:
        raise Conflict(f"demand {demand_id} already has case {existing.case_id}")
    case, _ = _open(uow_factory, clock, actor.id, record, law, as_of)
    return case


def ensure_case(uow_factory: CaseUowFactory, clock: Clock, demand_id: str, law: LawContext) -> Case:
    """The case of ``demand_id``, opened now by Comity itself if it has none yet.

    The hook after intake: called right after ``submit_demand`` (a resubmission of the same
    demand opens the case if an earlier attempt stored the demand but not its case).
    """
    with uow_factory() as uow:
        existing = uow.cases.for_demand(demand_id)
        record = uow.intake.get_demand(demand_id)
    if existing is not None:
        return existing
    if record is None:
        raise NotFound(f"no demand with id {demand_id!r}")
    case, _ = _open(uow_factory, clock, SYSTEM.id, record, law, None)
    return case


def file_demand(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    submission: demands.Submission,
    *,
    known_countries: frozenset[str],
    vocabulary: Vocabulary | None,
    law: LawContext | None,
    max_file_bytes: int = demands.MAX_FILE_BYTES,
) -> tuple[DemandRecord, bool]:
    """Intake's front door: store the demand (``demands.submit_demand``, every check of intake,
    the rule pack's ``vocabulary``) and open its case, assessed, in the same call, so no entry
    point sequences the two halves or returns between them.

    Returns the record and whether it was created now. Without ``law`` (no law engine) the
    demand is stored and its case waits for ``comity`` to open it.
    """
    record, created = demands.submit_demand(
        uow_factory,
        clock,
        actor,
        submission,
        known_countries=known_countries,
        max_file_bytes=max_file_bytes,
        vocabulary=vocabulary,
    )
    if law is not None:
        ensure_case(uow_factory, clock, record.id, law)
    return record, created


def _customer(assessment: AssessmentRecord) -> str | None:
    """The enterprise account to tell, when a finding redirects the demand to the customer."""
    for finding in assessment.document.get("findings") or []:
        if finding.get("pathway") == Pathway.REDIRECT_ENTITY.value and finding.get("account"):
            return str(finding["account"])
    return None


def _open(  # noqa: PLR0917 - private; the public forms name their arguments
    uow_factory: CaseUowFactory,
    clock: Clock,
    by: str,
    record: DemandRecord,
    law: LawContext,
    as_of: date | None,
) -> tuple[Case, bool]:
    now = clock.now()
    demand, assessment = assess_stored(record, law.assessor, law.known_countries, as_of, by, now)
    findings = finding_refs(assessment.document)
    with uow_factory() as uow:
        existing = uow.cases.for_demand(record.id)
        if existing is not None:  # opened by someone else meanwhile
            return existing, False
        step = new_case_for_demand(
            demand,
            case_id="case-" + uuid.uuid4().hex[:16],
            zone=case_zone(demand, law.deployment),
            now=now,
            customer=_customer(assessment),
            actor=by,
        )
        case = record_opening(uow, step, demand_id=record.id, at=now)
        case = record_step(uow, case.assess(findings, SYSTEM, now), now)
        store_assessment(uow, assessment)
        uow.commit()
    return case, True


# --- reading ---------------------------------------------------------------------------------


def get_case(uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str) -> CaseView:
    with uow_factory() as uow:
        case = load_case(uow, actor, case_id)
        demand_id = uow.cases.demand_of(case_id)
    return CaseView(case, demand_id, clock.now(), actor)


def case_for_demand(uow_factory: CaseUowFactory, actor: User, demand_id: str) -> Case:
    demands.visible_demand(uow_factory, actor, demand_id)
    with uow_factory() as uow:
        case = uow.cases.for_demand(demand_id)
    if case is None:
        raise NotFound(f"demand {demand_id} has no case yet")
    return case


def list_cases(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    *,
    states: Iterable[str] | None = None,
    open_only: bool = False,
) -> list[QueueItem]:
    """Cases the caller may see, most urgent first (by next deadline; see ``case_queue``)."""
    return queue_page(uow_factory, clock, actor, states=states, open_only=open_only).items


# --- review and approval ---------------------------------------------------------------------


def start_review(uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str) -> Case:
    return act(uow_factory, clock, actor, case_id, lambda c, a, now: c.start_review(a, now))


def decide(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    case_id: str,
    *,
    finding: str,
    decision: str,
    period: Period | None = None,
    justification: str | None = None,
) -> Case:
    """Decide one finding (its key ``target|category|region``): produce, withhold or narrow."""
    try:
        kind = DecisionKind(decision)
    except ValueError:
        raise InvalidInput(
            f"decision: expected produce, withhold or narrow, got {decision!r}"
        ) from None
    return act(
        uow_factory,
        clock,
        actor,
        case_id,
        lambda c, a, now: c.decide(
            finding, kind, a, now, period=period, justification=justification
        ),
    )


def recommend(
    uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str, note: str | None = None
) -> Case:
    return act(uow_factory, clock, actor, case_id, lambda c, a, now: c.recommend(a, now, note))


def approve(uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str) -> Case:
    """The second pair of eyes (the domain refuses the reviewer who recommended)."""
    return act(uow_factory, clock, actor, case_id, lambda c, a, now: c.approve(a, now))


def reject(
    uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str, reason: str
) -> Case:
    return act(uow_factory, clock, actor, case_id, lambda c, a, now: c.reject(a, now, reason))


def redirect(
    uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str, reason: str
) -> Case:
    return act(uow_factory, clock, actor, case_id, lambda c, a, now: c.redirect(a, now, reason))


def object_to(
    uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str, reason: str
) -> Case:
    """Object to the demand (e.g. Art. 17 review, a motion to come)."""
    return act(uow_factory, clock, actor, case_id, lambda c, a, now: c.object(a, now, reason))


def resume(
    uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str, reason: str
) -> Case:
    return act(uow_factory, clock, actor, case_id, lambda c, a, now: c.resume(a, now, reason))


# --- production (called by the productions code) --------------------------------------------


def start_production(uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str) -> Case:
    """Move an approved case to ``in_production``; refused while intake blocks disclosure."""
    with uow_factory() as uow:
        now = uow.now  # the unit's one clock reading, for the case and its audit entries
        case = start_production_in(uow, actor, case_id, now)
        uow.commit()
    return case


def start_production_in(uow: CaseUnitOfWork, actor: User, case_id: str, now: datetime) -> Case:
    """``start_production`` inside the caller's transaction (the caller commits)."""
    demand_id = uow.cases.demand_of(case_id)
    record = uow.intake.get_demand(demand_id) if demand_id else None
    blocked = record.disclosure_blocked_reason if record is not None else None

    def step(case: Case, actor: Actor, at: datetime) -> Step:
        result = case.start_production(actor, at)  # state, role, four eyes, court bars first
        if blocked:
            raise Conflict(
                f"case {case_id}: demand {demand_id} may not lead to disclosure: {blocked}"
            )
        return result

    return act_in(uow, actor, case_id, now, step)


def deliver(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    case_id: str,
    *,
    package: dict[str, Any] | None = None,
) -> Case:
    """Record the delivery; ``package`` (e.g. its id and digest) goes on the audit event."""
    with uow_factory() as uow:
        now = uow.now  # the unit's one clock reading, for the case and its audit entries
        case = deliver_in(uow, actor, case_id, now, package=package)
        uow.commit()
    return case


def deliver_in(
    uow: CaseUnitOfWork,
    actor: User,
    case_id: str,
    now: datetime,
    *,
    package: dict[str, Any] | None = None,
) -> Case:
    """``deliver`` inside the caller's transaction (the caller commits)."""
    extra = {"package": package} if package else None
    return act_in(uow, actor, case_id, now, lambda c, a, t: c.deliver(a, t), audit_extra=extra)


# --- withdrawal ------------------------------------------------------------------------------


def withdraw_demand(
    uow_factory: CaseUowFactory, clock: Clock, actor: User, demand_id: str, *, reason: str = ""
) -> DemandRecord:
    """The requester withdraws their demand; its case, if still open, is withdrawn with it."""
    with uow_factory() as uow:
        now = uow.now  # the unit's one clock reading, for the case and its audit entries
        record, changed = demands.withdraw_in(uow, clock, actor, demand_id, reason=reason)
        case = uow.cases.for_demand(demand_id) if changed else None
        if case is not None and "withdraw" in case.allowed_actions():
            act_in(
                uow,
                actor,
                case.case_id,
                now,
                lambda c, a, t: c.withdraw(a, t, reason or None),
                requester_may=True,
            )
        if changed:
            uow.commit()
    return record


def withdraw(
    uow_factory: CaseUowFactory, clock: Clock, actor: User, case_id: str, *, reason: str = ""
) -> Case:
    """Withdraw a case: the requester who filed its demand withdraws the demand and the case."""
    with uow_factory() as uow:
        case = load_case(uow, actor, case_id)
        demand_id = uow.cases.demand_of(case_id)
    case.withdraw(workflow_actor(actor), clock.now(), reason or None)  # refuses as the case would
    if demand_id is None:
        raise Conflict(f"case {case_id} has no demand on record; only its requester may withdraw")
    withdraw_demand(uow_factory, clock, actor, demand_id, reason=reason)
    with uow_factory() as uow:
        return load_case(uow, actor, case_id)
