"""Re-assessing an open case as of a new date or under another rule pack, and saying what changed.

The law engine runs again on the case's demand; the new answer is stored like any assessment,
the case takes the new findings (``Case.reassess`` keeps decisions only where the pathway held
and records the change on the case), and the audit event carries, per finding, every field of
the law engine's answer that moved (pathway, reason, rules, deadline, route, conflicts,
challenges, alternatives: ``comity.law.diff``'s fields) between the previous stored assessment and
this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from comity.domain import permissions
from comity.domain.registry import User
from comity.domain.workflow import Actor, Case, WorkflowRole
from comity.errors import Conflict, InvalidInput
from comity.services.assessment.stored import assess_stored, store_assessment
from comity.services.cases.access import CaseUowFactory, act_in, load_case
from comity.services.cases.actions import LawContext
from comity.services.cases.findings import finding_refs
from comity.services.ports import Clock

#: The fields of a finding (contract section 5) compared between two assessments.
COMPARED = (
    "pathway",
    "reason",
    "rules",
    "deadline",
    "route",
    "conflicts",
    "challenges",
    "alternatives",
)


@dataclass(frozen=True)
class Reassessed:
    case: Case
    assessment_id: str
    basis: str
    #: Per finding whose answer moved: the fields and their old and new values.
    diff: list[dict[str, Any]]


def reassess(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    case_id: str,
    law: LawContext,
    *,
    reason: str,
    as_of: date | None = None,
) -> Reassessed:
    """Run the law again for an open case (staff ask; Comity performs, as the table says)."""
    permissions.check(actor, permissions.Action.HANDLE_DEMAND)
    if not reason.strip():
        raise InvalidInput("reason: say why the case is re-assessed (a new date, a new rule pack)")
    now = clock.now()
    with uow_factory() as uow:
        case = load_case(uow, actor, case_id)
        demand_id = uow.cases.demand_of(case_id)
        record = uow.intake.get_demand(demand_id) if demand_id else None
        previous = list(uow.intake.list_assessments(demand_id)) if demand_id else []
    if record is None:
        raise Conflict(f"case {case_id} has no stored demand for the law engine to assess")
    if "reassess" not in case.allowed_actions():
        case.reassess(list(case.findings), _system(actor), now, reason)  # the domain's refusal
    _, assessment = assess_stored(record, law.assessor, law.known_countries, as_of, actor.id, now)
    findings = finding_refs(assessment.document)
    rule_pack = assessment.document.get("rule_pack") or {}
    basis = (
        f"as of {assessment.as_of} under rule pack {rule_pack.get('version', '?')} "
        f"({assessment.rule_pack_digest})"
    )
    old = previous[-1].document if previous else {"findings": []}
    diff = compare(old, assessment.document)
    with uow_factory() as uow:
        case = act_in(
            uow,
            actor,
            case_id,
            now,
            lambda c, a, t: c.reassess(findings, _system(actor), t, reason, basis=basis),
            audit_extra={"assessment": assessment.id, "assessment_diff": diff},
        )
        store_assessment(uow, assessment)
        uow.commit()
    return Reassessed(case, assessment.id, basis, diff)


def _system(user: User) -> Actor:
    """Re-assessment is Comity's act (``WorkflowRole.SYSTEM``), recorded under who asked for it."""
    return Actor(id=user.id, roles=frozenset({WorkflowRole.SYSTEM}))


def _key(doc: dict[str, Any]) -> tuple[str, str, str]:
    target = doc.get("target")
    value = target.get("value") if isinstance(target, dict) else target
    return (str(value), str(doc.get("category")), str(doc.get("region") or "-"))


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """What moved, finding by finding, between two law-engine answers (contract section 5)."""
    before = {_key(f): f for f in old.get("findings") or []}
    after = {_key(f): f for f in new.get("findings") or []}
    out = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key) or {}, after.get(key) or {}
        moved = [c for c in COMPARED if a.get(c) != b.get(c)]
        if moved:
            out.append(
                {
                    "finding": "|".join(key),
                    "changed": moved,
                    "old": {c: a.get(c) for c in moved},
                    "new": {c: b.get(c) for c in moved},
                }
            )
    return out
