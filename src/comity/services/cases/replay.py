"""A scripted replay driven through the database: every step loads the case, applies the step,
saves it with its audit events and commits, like any action; holds go into the regions.

``comity replay microsoft-ireland --workflow`` runs the Microsoft Ireland script this way, from
the December 2013 warrant to the April 2018 dismissal, and checks that the stored case ends as
the courts left it (``check_outcome``). Each step's time is its ``now``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from comity.domain.audit import AuditAction
from comity.domain.case.replay import (
    CourtStep,
    Frame,
    ReplayScript,
    ScriptDemand,
    actor_of,
    apply_step,
    check_outcome,
    frame_of,
    open_script_case,
    replacement_demand,
)
from comity.domain.court_events import ReplacementDemand
from comity.domain.workflow import Case, CaseEvent, PreservationHold
from comity.errors import ComityError, InvalidInput
from comity.services.cases.access import CaseUowFactory
from comity.services.cases.ports import CaseUnitOfWork
from comity.services.cases.steps import record_opening, record_step
from comity.services.custody.ports import HoldMarker, RegionCustody

#: The replay's regions: a throwaway deployment's in-process stores, whose markers it writes
#: itself (a scripted history has no agents and no sources to snapshot).
Regions = Callable[[str], RegionCustody]


def marker(hold: PreservationHold) -> HoldMarker:
    return HoldMarker(
        hold_id=hold.hold_id,
        case_id=hold.case_id,
        account_id=hold.account,
        categories=hold.categories,
        placed_at=hold.placed_at,
        expires_at=hold.expires_at,
        released_at=hold.released_at,
    )


@dataclass(frozen=True)
class PersistedReplay:
    frames: list[Frame]
    case: Case
    replacement: Case | None
    #: How the stored case differs from the courts' outcome (empty: the same).
    problems: list[str]


def replay_persisted(
    uow_factory: CaseUowFactory,
    regions: Regions,
    region_ids: frozenset[str],
    script: ReplayScript,
    *,
    suffix: str = "",
    on_frame: Callable[[Frame], None] | None = None,
) -> PersistedReplay:
    """Run ``script`` against the database; ``suffix`` keeps case ids unique in a used one."""
    main_id = script.demand.case_id + suffix
    replacement_id: str | None = None
    with uow_factory() as uow:
        _open(uow, script.demand.model_copy(update={"case_id": main_id}), None)
        uow.commit()
    frames = []
    for i, step in enumerate(script.steps):
        actor = actor_of(script, step.actor)
        target = main_id if step.case == "main" else replacement_id
        findings = script.findings if step.case == "main" else script.replacement_findings
        if target is None:
            raise InvalidInput(f"steps[{i}] ({step.label}): no replacement demand recorded yet")
        released: list[PreservationHold] = []
        with uow_factory() as uow:
            case = _get(uow, target)
            try:
                new, events = apply_step(case, step, actor, findings)
            except ComityError as exc:
                raise InvalidInput(f"steps[{i}] ({step.label}): {exc.message}") from exc
            record_step(uow, (new, events), step.at)
            for hold in (h for h in new.holds if h not in case.holds):
                if hold.region not in region_ids:
                    continue
                if hold.released_at is None:
                    regions(hold.region).store.set_hold(marker(hold))
                else:
                    released.append(hold)
            if isinstance(step, CourtStep) and new.replaced_by and replacement_id is None:
                event = new.court.events[-1]
                assert isinstance(event, ReplacementDemand)
                base = replacement_demand(script, event)
                replacement_id = base.case_id + suffix
                _open(uow, base.model_copy(update={"case_id": replacement_id}), new.reference)
            uow.commit()
        for hold in released:  # ends of preservation reach the region after the case commits
            regions(hold.region).store.set_hold(marker(hold))
        with uow_factory() as uow:
            main = _get(uow, main_id)
            replacement = _get(uow, replacement_id) if replacement_id else None
        frame = frame_of(step, main, replacement, events)
        frames.append(frame)
        if on_frame is not None:
            on_frame(frame)
    return PersistedReplay(frames, main, replacement, check_outcome(script, main))


def _get(uow: CaseUnitOfWork, case_id: str) -> Case:
    case = uow.cases.get(case_id, for_update=True)
    if case is None:
        raise InvalidInput(f"case {case_id} vanished during the replay")
    return case


def _open(uow: CaseUnitOfWork, demand: ScriptDemand, replaces: str | None) -> Case:
    case = open_script_case(demand, replaces)
    opened = CaseEvent(
        time=demand.received_at,
        actor="system",
        action=AuditAction.CASE_OPENED,
        subject=case.subject,
        payload=case.model_dump(mode="json"),
    )
    return record_opening(uow, (case, [opened]), demand_id=None, at=demand.received_at)
