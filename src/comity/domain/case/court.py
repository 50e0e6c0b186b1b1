"""How court events change a case, as they do in practice.

- A motion to quash or modify puts the findings it covers in contest and the case in
  ``objected``; a 2703(h) motion must come within 14 days of service and, while pending, means
  preserve but do not produce (18 U.S.C. 2703(h)(2)(A), (h)(4); US-18, US-21).
- A ruling that grants the provider's challenge quashes the demand within its scope (those
  findings are withdrawn); one that denies it leaves the demand standing (findings ``ordered``).
- Contempt, with or without sanctions, keeps the case open (objected) pending appeal; a ruling
  that reverses may vacate it.
- A judgment vacated as moot ends every pending proceeding; with a replacement demand (or an
  instruction to dismiss) the old case closes and points to the new one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from comity.domain import deadlines
from comity.domain.case.case import (
    FINISHED,
    AppealRecord,
    Case,
    ContemptRecord,
    CourtRecord,
    CourtStatus,
    MotionRecord,
    PetitionRecord,
    Step,
    _legal_team,
)
from comity.domain.case.model import Actor, CaseEvent, CaseState
from comity.domain.case.transitions import TABLE, Action
from comity.domain.categories import Category
from comity.domain.court_events import (
    Appeal,
    Contempt,
    CourtEvent,
    FindingScope,
    JudgmentVacated,
    LawChange,
    Moot,
    Motion,
    Proceeding,
    RehearingPetition,
    ReplacementDemand,
    Ruling,
    Stay,
)
from comity.domain.values import require_aware
from comity.errors import Conflict, InvalidInput


def record_court_event(case: Case, event: CourtEvent, actor: Actor, now: datetime) -> Step:
    """Apply one court event to ``case``; returns the new case and the events to audit."""
    _legal_team(actor, "record a court event")
    require_aware(now)
    if case.state in FINISHED:
        raise Conflict(f"case {case.case_id} is {case.state.value}; it takes no more court events")
    court = case.court.model_copy(update={"events": (*case.court.events, event)})
    recorded = CaseEvent(
        time=now,
        actor=actor.id,
        action=f"case:court:{event.kind}",
        subject=case.subject,
        payload=event.model_dump(mode="json"),
    )
    case = case.model_copy(update={"court": court})
    new, more = _apply(case, event, actor, now)
    return new, [recorded, *more]


def _apply(case: Case, event: CourtEvent, actor: Actor, now: datetime) -> Step:  # noqa: PLR0911
    match event:
        case Motion():
            return _motion(case, event, actor, now)
        case Ruling():
            return _ruling(case, event), []
        case Stay():
            return _court(case, stay_in_force=event.granted), []
        case Contempt():
            record = ContemptRecord(
                at=event.at, sanctions=event.sanctions, stipulated=event.stipulated
            )
            case = _court(case, contempt=record)
            why = "held in contempt" + (" with sanctions" if event.sanctions else ", no sanctions")
            return _objected(case, actor, now, why + "; open pending appeal")
        case Appeal():
            appeal = AppealRecord(
                appeal_id=event.appeal_id,
                court=event.court,
                by=event.by,
                filed_at=event.at,
                certiorari=event.certiorari,
            )
            case = _court(case, appeals=(*case.court.appeals, appeal))
            return _objected(case, actor, now, f"appeal {event.appeal_id} by the {event.by}")
        case RehearingPetition():
            return _petition(case, event), []
        case Proceeding():
            return case, []
        case LawChange():
            return case.model_copy(
                update={"needs_reassessment": f"{event.what} ({event.citation}), {event.effective}"}
            ), []
        case Moot():
            return _court(case, moot_by=(*case.court.moot_by, event.by)), []
        case ReplacementDemand():
            return case.model_copy(update={"replaced_by": event.reference}), []
        case JudgmentVacated():
            return _vacated(case, event, actor, now)


def _court(case: Case, **updates: Any) -> Case:
    return case.model_copy(update={"court": case.court.model_copy(update=updates)})


def _objected(case: Case, actor: Actor, now: datetime, reason: str) -> Step:
    if case.state is CaseState.OBJECTED:
        return case, []
    return case.object(actor, now, reason, check_role=False)


def _statuses(case: Case, scope: FindingScope, status: CourtStatus) -> dict[str, CourtStatus]:
    updated = dict(case.court.finding_status)
    for f in case.in_scope(scope):
        updated[f.key] = status
    return updated


def _motion(case: Case, event: Motion, actor: Actor, now: datetime) -> Step:
    if any(m.motion_id == event.motion_id for m in case.court.motions):
        raise InvalidInput(f"motion_id: {event.motion_id} is already recorded")
    scope = event.scope
    status: CourtStatus = "contested"
    if event.kind == "motion_2703h":
        # US-18: a comity motion concerns content only, within 14 days of service.
        if any(c is not Category.CONTENT for c in scope.categories):
            raise InvalidInput("scope: a 2703(h) motion concerns content only (2703(h)(2))")
        scope = scope.model_copy(update={"categories": (Category.CONTENT,)})
        limit = deadlines.motion_2703h(case.received_at, zone_name=case.zone, subject=case.subject)
        if event.at >= limit.due_at and not event.time_extended:
            raise Conflict(
                f"a 2703(h) motion was due by {limit.due_at.isoformat()} (14 days after service, "
                "18 U.S.C. 2703(h)(2)(A)) unless the government agreed or the court extended"
            )
        status = "preserve_only"
    record = MotionRecord(
        motion_id=event.motion_id, kind=event.kind, by=event.by, filed_at=event.at, scope=scope
    )
    case = _court(
        case, motions=(*case.court.motions, record), finding_status=_statuses(case, scope, status)
    )
    if case.state is CaseState.OBJECTED:
        return case, []
    if case.state not in TABLE[Action.OBJECT].sources:
        # Record nothing half-way: the caller gets the state machine's own refusal.
        case._check(Action.OBJECT, actor, "motion", check_role=False)
    return case.object(actor, now, f"{event.kind} {event.motion_id} filed", check_role=False)


def _target(case: Case, decides: str | None) -> str | None:
    if decides is not None:
        return decides
    pending = [m.motion_id for m in case.court.pending_motions()]
    pending += [a.appeal_id for a in case.court.pending_appeals()]
    return pending[-1] if pending else None


def _ruling(case: Case, event: Ruling) -> Case:
    target = _target(case, event.decides)
    scope = event.scope
    motions = list(case.court.motions)
    appeals = list(case.court.appeals)
    found = target is None
    for i, m in enumerate(motions):
        if m.motion_id == target:
            found = True
            if scope == FindingScope():
                scope = m.scope
            decided = "granted" if event.outcome == "grants" else "denied"
            motions[i] = m.model_copy(update={"status": decided, "decided_at": event.at})
    for i, a in enumerate(appeals):
        if a.appeal_id == target:
            found = True
            appeals[i] = a.model_copy(update={"status": "decided"})
    if not found:
        raise InvalidInput(f"on: no motion or appeal {target!r} in case {case.case_id}")
    status: CourtStatus = "quashed" if event.outcome == "grants" else "ordered"
    contempt = case.court.contempt
    if event.vacates_contempt and contempt is not None:
        contempt = contempt.model_copy(update={"vacated_at": event.at})
    return _court(
        case,
        motions=tuple(motions),
        appeals=tuple(appeals),
        contempt=contempt,
        finding_status=_statuses(case, scope, status),
    )


def _petition(case: Case, event: RehearingPetition) -> Case:
    petitions = list(case.court.petitions)
    existing = [i for i, p in enumerate(petitions) if p.petition_id == event.petition_id]
    if event.outcome == "filed":
        if existing:
            raise InvalidInput(f"petition_id: {event.petition_id} is already recorded")
        petition = PetitionRecord(
            petition_id=event.petition_id, by=event.by, filed_at=event.at, en_banc=event.en_banc
        )
        return _court(case, petitions=(*petitions, petition))
    if not existing or petitions[existing[0]].status != "pending":
        raise InvalidInput(f"petition_id: no pending petition {event.petition_id} to decide")
    i = existing[0]
    petitions[i] = petitions[i].model_copy(update={"status": event.outcome})
    appeals = case.court.appeals
    if event.outcome == "granted" and appeals:
        # Rehearing reopens the last decided appeal.
        last = appeals[-1].model_copy(update={"status": "pending"})
        appeals = (*appeals[:-1], last)
    return _court(case, petitions=tuple(petitions), appeals=appeals)


def _vacated(case: Case, event: JudgmentVacated, actor: Actor, now: datetime) -> Step:
    if not event.moot:
        # The judgment under review is gone; the question is open again below.
        reopened: dict[str, CourtStatus] = {
            k: ("contested" if v in ("quashed", "ordered") else v)
            for k, v in case.court.finding_status.items()
        }
        return _court(case, finding_status=reopened), []
    c = case.court
    contempt = c.contempt
    if contempt is not None and contempt.vacated_at is None:
        contempt = contempt.model_copy(update={"vacated_at": event.at})
    court = CourtRecord(
        motions=tuple(
            m.model_copy(update={"status": "moot"}) if m.status == "pending" else m
            for m in c.motions
        ),
        appeals=tuple(
            a.model_copy(update={"status": "moot"}) if a.status == "pending" else a
            for a in c.appeals
        ),
        petitions=tuple(
            p.model_copy(update={"status": "moot"}) if p.status == "pending" else p
            for p in c.petitions
        ),
        contempt=contempt,
        stay_in_force=False,
        moot_by=c.moot_by,
        finding_status={},
        events=c.events,
    )
    case = case.model_copy(update={"court": court})
    if case.replaced_by is None and not event.dismiss:
        return case, []
    outcome = "vacated as moot" + (f"; replaced by {case.replaced_by}" if case.replaced_by else "")
    if event.dismiss:
        outcome += "; remanded with instructions to dismiss"
    return case.close(actor, now, outcome, check_role=False)
