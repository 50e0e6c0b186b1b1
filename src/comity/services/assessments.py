"""Running the law engine on a stored demand and keeping its answer with the rule pack digest.

The answer is stored as the engine gave it (contract section 5), so a later reader sees exactly
what staff saw, and the rule pack digest says which version of the law produced it.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from comity.domain import permissions
from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.demand import Demand, parse_demand
from comity.domain.intake import AssessmentRecord, DemandRecord, Verification
from comity.domain.registry import User
from comity.errors import IntegrityError, NotFound, collect
from comity.services.demands import visible_demand
from comity.services.identity import UowFactory
from comity.services.intake_ports import Assessor
from comity.services.ports import Clock


def run_assessment(
    uow_factory: UowFactory,
    clock: Clock,
    actor: User,
    demand_id: str,
    *,
    as_of: date,
    assessor: Assessor,
    known_countries: frozenset[str],
) -> AssessmentRecord:
    permissions.check(actor, permissions.Action.HANDLE_DEMAND)
    record = visible_demand(uow_factory, actor, demand_id)
    demand, problems = parse_demand(record.document, known_countries=known_countries)
    collect(problems)
    assert demand is not None
    document = assessor.assess(with_recorded_verification(demand, record), as_of)
    rule_pack = document.get("rule_pack")
    digest = rule_pack.get("digest") if isinstance(rule_pack, dict) else None
    if not isinstance(digest, str) or not digest.startswith("sha256:"):
        raise IntegrityError("the law engine's answer names no rule pack digest (sha256:...)")
    assessment = AssessmentRecord(
        "asm-" + uuid.uuid4().hex[:16],
        demand_id,
        as_of.isoformat(),
        digest,
        document,
        actor.id,
        clock.now(),  # one reading: the record and its audit entry carry the same instant
    )
    with uow_factory() as uow:
        uow.intake.add_assessment(assessment)
        uow.audit.record(
            AuditEvent.of(
                assessment.created_at,
                actor.id,
                AuditAction.DEMAND_ASSESSMENT_CREATED,
                f"demand/{demand_id}",
                assessment.to_document(),
            )
        )
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
