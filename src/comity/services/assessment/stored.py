"""Running the law engine on a stored demand and keeping its answer with the rule pack digest.

``assess_stored`` is the one path from a stored demand to a stored assessment (issue 12: it was
written four times): the demand's document is parsed once, the engine sees the verification
Comity recorded (never what the request claims), and the answer must name its rule pack digest.
Staff asking for an assessment (API, console, CLI), a case opening and a re-assessment all come
through it, and ``store_assessment`` writes it with its audit entry.

The answer is stored as the engine gave it (contract section 5), so a later reader sees exactly
what staff saw, and the rule pack digest says which version of the law produced it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

from comity.domain import permissions
from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.demand import Demand
from comity.domain.demand_schema import parse_demand
from comity.domain.intake import AssessmentRecord, DemandRecord, Verification
from comity.domain.registry import User
from comity.errors import IntegrityError, NotFound, collect
from comity.services.identity import UowFactory
from comity.services.intake.demands import visible_demand
from comity.services.intake.ports import Assessor, IntakeUnitOfWork
from comity.services.ports import Clock


def stored_demand(record: DemandRecord, known_countries: frozenset[str]) -> Demand:
    """The demand a record holds, as the law engine may see it: parsed from the stored document,
    with ``emergency.verified_by`` as Comity recorded it (``with_recorded_verification``)."""
    demand, problems = parse_demand(record.document, known_countries=known_countries)
    collect(problems)
    assert demand is not None
    return with_recorded_verification(demand, record)


def assess_stored(  # noqa: PLR0917 - each argument is a distinct input of the one path
    record: DemandRecord,
    assessor: Assessor,
    known_countries: frozenset[str],
    as_of: date | None,
    by: str,
    at: datetime,
) -> tuple[Demand, AssessmentRecord]:
    """Assess a stored demand as of ``as_of`` (default: the day it was received, in UTC, when
    the provider's obligations arose); the assessment is ``by`` someone ``at`` an instant.

    Nothing is written: the engine runs outside any transaction (it reads accounts through its
    own unit of work) and the caller stores the result with ``store_assessment``.
    """
    demand = stored_demand(record, known_countries)
    day = as_of or demand.received_at.astimezone(UTC).date()
    answer = assessor.assess(demand, day)
    digest = answer.rule_pack.digest
    if not digest.startswith("sha256:"):
        raise IntegrityError("the law engine's answer names no rule pack digest (sha256:...)")
    assessment = AssessmentRecord(
        "asm-" + uuid.uuid4().hex[:16],
        record.id,
        day.isoformat(),
        digest,
        answer.to_document(),
        by,
        at,
    )
    return demand, assessment


def store_assessment(uow: IntakeUnitOfWork, assessment: AssessmentRecord) -> None:
    """Write ``assessment`` and its audit entry (same instant) in the caller's transaction."""
    uow.intake.add_assessment(assessment)
    uow.audit.record(
        AuditEvent.of(
            assessment.created_at,
            assessment.created_by,
            AuditAction.DEMAND_ASSESSMENT_CREATED,
            f"demand/{assessment.demand_id}",
            assessment.to_document(),
        )
    )


def run_assessment(
    uow_factory: UowFactory,
    clock: Clock,
    actor: User,
    demand_id: str,
    *,
    as_of: date | None,
    assessor: Assessor,
    known_countries: frozenset[str],
) -> AssessmentRecord:
    """Staff ask for an assessment of a demand they may see, as of a date (default: the day it
    was received); it is stored."""
    permissions.check(actor, permissions.Action.HANDLE_DEMAND)
    record = visible_demand(uow_factory, actor, demand_id)
    _, assessment = assess_stored(record, assessor, known_countries, as_of, actor.id, clock.now())
    with uow_factory() as uow:
        store_assessment(uow, assessment)
        uow.commit()
    return assessment


def with_recorded_verification(demand: Demand, record: DemandRecord) -> Demand:
    """The demand with ``emergency.verified_by`` as Comity recorded it, not as the request claims.

    A forged emergency request can write ``"verified_by": "callback"`` into its own document; the
    law engine must only see a call-back staff recorded to a registry contact, or a signature
    Comity checked (practice.md, "Fraudulent emergency requests").
    """
    if demand.emergency is None:
        return demand
    recorded: str | None = None
    if record.callback_confirmed:
        recorded = "callback"
    elif record.verification is Verification.SIGNATURE:
        recorded = "signature"
    return replace(demand, emergency=replace(demand.emergency, verified_by=recorded))


def get_assessment(uow_factory: UowFactory, actor: User, assessment_id: str) -> AssessmentRecord:
    permissions.check(actor, permissions.Action.READ_INTERNAL)
    with uow_factory() as uow:
        found = uow.intake.get_assessment(assessment_id)
    if found is None:
        raise NotFound(f"no assessment with id {assessment_id!r}")
    return found


def list_assessments(
    uow_factory: UowFactory, actor: User, demand_id: str
) -> list[AssessmentRecord]:
    permissions.check(actor, permissions.Action.READ_INTERNAL)
    visible_demand(uow_factory, actor, demand_id)
    with uow_factory() as uow:
        return list(uow.intake.list_assessments(demand_id))
