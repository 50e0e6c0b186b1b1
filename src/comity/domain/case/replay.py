"""Scripted case replays: drive a real ``Case`` through a dated list of steps.

A script (YAML under ``comity/domain/case/replays/``) holds the demand, the findings, the
actors and the steps: workflow actions, court events and holds. ``replay`` is pure: it takes the
parsed script (and, optionally, findings from the law engine in place of the script's) and
returns one frame per step with the state, holds, deadlines and each finding's effective status.
Reading the file is the caller's job (``load_script_text`` parses YAML text).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any, Literal

import yaml
from pydantic import Field, ValidationError

from comity.domain.case.case import Case, Step, new_case
from comity.domain.case.court import record_court_event
from comity.domain.case.holds import HoldBasis
from comity.domain.case.model import (
    Actor,
    CaseEvent,
    DecisionKind,
    FindingRef,
    Period,
    WorkflowRole,
)
from comity.domain.categories import Category
from comity.domain.court_events import COURT_EVENT, ReplacementDemand
from comity.domain.deadlines import Deadline
from comity.domain.values import Frozen, Instant
from comity.errors import ComityError, InvalidInput


class ScriptDemand(Frozen):
    case_id: str
    reference: str
    instrument: str
    issuer_country: str
    received_at: Instant
    zone: str
    period: Period | None = None
    notify: bool = True


class _Step(Frozen):
    at: Instant
    label: str
    actor: str = "system"
    case: Literal["main", "replacement"] = "main"
    source: str | None = None
    date_precision: Literal["day", "month", "inferred"] = "day"


class ActionStep(_Step):
    do: Literal[
        "assess",
        "start_review",
        "recommend",
        "approve",
        "start_production",
        "deliver",
        "object",
        "resume",
        "close",
        "reject",
        "redirect",
    ]
    reason: str | None = None


class DecideStep(_Step):
    do: Literal["decide"]
    finding: str
    decision: DecisionKind
    justification: str | None = None
    period: Period | None = None


class CourtStep(_Step):
    do: Literal["court"]
    event: dict[str, Any]


class HoldStep(_Step):
    do: Literal["hold"]
    account: str
    categories: tuple[Category, ...]
    region: str
    basis: HoldBasis


ScriptStep = Annotated[ActionStep | DecideStep | CourtStep | HoldStep, Field(discriminator="do")]


class Expectation(Frozen):
    state: str
    outcome_contains: str
    replaced_by: str | None = None


class ReplayScript(Frozen):
    name: str
    title: str
    demand: ScriptDemand
    replacement: ScriptDemand | None = None
    actors: dict[str, tuple[WorkflowRole, ...]]
    findings: tuple[FindingRef, ...]
    replacement_findings: tuple[FindingRef, ...] = ()
    steps: tuple[ScriptStep, ...]
    expect: Expectation


class HoldView(Frozen):
    hold_id: str
    region: str
    categories: tuple[Category, ...]
    active: bool
    expires_at: Instant | None
    released_at: Instant | None


class Frame(Frozen):
    """The case after one step of the script."""

    at: Instant
    label: str
    source: str | None
    date_precision: str
    state: str
    findings: dict[str, str]
    holds: tuple[HoldView, ...]
    deadlines: tuple[Deadline, ...]
    events: tuple[str, ...]
    replacement_state: str | None = None
    replacement_findings: dict[str, str] | None = None
    replacement_holds: tuple[HoldView, ...] = ()


def parse_script(doc: Any) -> ReplayScript:
    """A replay script from its decoded YAML, or one problem per bad field."""
    try:
        script = ReplayScript.model_validate(doc)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise InvalidInput(
            f"{len(problems)} problem(s) in the replay script", problems=problems
        ) from None
    unknown = sorted({s.actor for s in script.steps} - set(script.actors) - {"system"})
    if unknown:
        raise InvalidInput(f"steps: unknown actor(s) {', '.join(unknown)}; declare them in actors")
    return script


def load_script_text(text: str) -> ReplayScript:
    return parse_script(yaml.safe_load(text))


def _actor(script: ReplayScript, name: str) -> Actor:
    if name == "system":
        return Actor(id="system", roles=frozenset({WorkflowRole.SYSTEM}))
    return Actor(id=name, roles=frozenset(script.actors[name]))


def _open(demand: ScriptDemand, replaces: str | None = None) -> Case:
    case, _ = new_case(
        case_id=demand.case_id,
        reference=demand.reference,
        instrument=demand.instrument,
        issuer_country=demand.issuer_country,
        received_at=demand.received_at,
        zone=demand.zone,
        now=demand.received_at,
        period=demand.period,
        replaces=replaces,
    )
    return case.model_copy(
        update={"notice": case.notice.model_copy(update={"notify": demand.notify})}
    )


def _run(case: Case, step: ScriptStep, actor: Actor, findings: tuple[FindingRef, ...]) -> Step:
    at = step.at
    match step:
        case DecideStep():
            return case.decide(
                step.finding,
                step.decision,
                actor,
                at,
                period=step.period,
                justification=step.justification,
            )
        case CourtStep():
            event = COURT_EVENT.validate_python(
                {**step.event, "at": at, "date_precision": step.date_precision}
            )
            return record_court_event(case, event, actor, at)
        case HoldStep():
            return case.place_hold(
                actor,
                at,
                account=step.account,
                categories=step.categories,
                region=step.region,
                basis=step.basis,
            )
        case ActionStep():
            reason = step.reason or ""
            calls: dict[str, Any] = {
                "assess": lambda: case.assess(list(findings), actor, at),
                "start_review": lambda: case.start_review(actor, at),
                "recommend": lambda: case.recommend(actor, at, step.reason),
                "approve": lambda: case.approve(actor, at),
                "start_production": lambda: case.start_production(actor, at),
                "deliver": lambda: case.deliver(actor, at),
                "object": lambda: case.object(actor, at, reason),
                "resume": lambda: case.resume(actor, at, reason),
                "close": lambda: case.close(actor, at, reason),
                "reject": lambda: case.reject(actor, at, reason),
                "redirect": lambda: case.redirect(actor, at, reason),
            }
            result: Step = calls[step.do]()
            return result


def replay(
    script: ReplayScript,
    *,
    findings: list[FindingRef] | None = None,
    replacement_findings: list[FindingRef] | None = None,
) -> Iterator[tuple[Frame, Case, Case | None, list[CaseEvent]]]:
    """Drive the case through every step; yield each frame with the cases and their events.

    ``findings`` replaces the script's findings (the law engine's, mapped to ``FindingRef``).
    """
    main_findings = tuple(findings) if findings is not None else script.findings
    new_findings = (
        tuple(replacement_findings)
        if replacement_findings is not None
        else script.replacement_findings
    )
    case = _open(script.demand)
    replacement: Case | None = None
    for i, step in enumerate(script.steps):
        actor = _actor(script, step.actor)
        try:
            if step.case == "replacement":
                if replacement is None:
                    raise InvalidInput("no replacement demand has been recorded yet")
                replacement, events = _run(replacement, step, actor, new_findings)
            else:
                case, events = _run(case, step, actor, main_findings)
                if isinstance(step, CourtStep) and case.replaced_by and replacement is None:
                    event = case.court.events[-1]
                    assert isinstance(event, ReplacementDemand)
                    replacement = _open(_replacement_demand(script, event), case.reference)
        except ComityError as exc:
            # The script is the input: whatever the workflow refuses, name the step that asked.
            raise InvalidInput(f"steps[{i}] ({step.label}): {exc.message}") from exc
        yield _frame(step, case, replacement, events), case, replacement, events


def _replacement_demand(script: ReplayScript, event: ReplacementDemand) -> ScriptDemand:
    base = script.replacement or script.demand.model_copy(
        update={"case_id": f"{script.demand.case_id}-replacement"}
    )
    return base.model_copy(update={"reference": event.reference, "received_at": event.received_at})


def _holds(case: Case, now: datetime) -> tuple[HoldView, ...]:
    return tuple(
        HoldView(
            hold_id=h.hold_id,
            region=h.region,
            categories=h.categories,
            active=h.is_active(now),
            expires_at=h.expires_at,
            released_at=h.released_at,
        )
        for h in case.holds
    )


def _frame(
    step: ScriptStep, case: Case, replacement: Case | None, events: list[CaseEvent]
) -> Frame:
    now = step.at
    return Frame(
        at=now,
        label=step.label,
        source=step.source,
        date_precision=step.date_precision,
        state=case.state.value,
        findings=case.statuses(),
        holds=_holds(case, now),
        deadlines=tuple(case.deadlines()),
        events=tuple(e.action for e in events),
        replacement_state=replacement.state.value if replacement else None,
        replacement_findings=replacement.statuses() if replacement else None,
        replacement_holds=_holds(replacement, now) if replacement else (),
    )


#: The pieces a persisted replay (``services.cases.replay``) drives one step at a time.
open_script_case = _open
apply_step = _run
frame_of = _frame
replacement_demand = _replacement_demand
actor_of = _actor


def run(script: ReplayScript, **kwargs: Any) -> tuple[list[Frame], Case, Case | None]:
    """Every frame, and the final cases (the original and its replacement, if any)."""
    frames: list[Frame] = []
    final: tuple[Case, Case | None] = (_open(script.demand), None)
    for frame, case, replacement, _ in replay(script, **kwargs):
        frames.append(frame)
        final = (case, replacement)
    return frames, *final


def check_outcome(script: ReplayScript, case: Case) -> list[str]:
    """How the final case differs from what the script says the courts reached (empty: same)."""
    problems = []
    if case.state.value != script.expect.state:
        problems.append(f"state: expected {script.expect.state}, got {case.state.value}")
    if script.expect.outcome_contains not in (case.outcome or ""):
        problems.append(
            f"outcome: expected it to contain {script.expect.outcome_contains!r}, "
            f"got {case.outcome!r}"
        )
    if case.replaced_by != script.expect.replaced_by:
        problems.append(
            f"replaced_by: expected {script.expect.replaced_by}, got {case.replaced_by}"
        )
    return problems


#: Packaged scripts, by the name ``comity replay <name> --workflow`` uses (files in ``replays/``).
SCRIPTS: dict[str, str] = {"microsoft-ireland": "microsoft_ireland.yaml"}

__all__ = [
    "SCRIPTS",
    "Frame",
    "ReplayScript",
    "actor_of",
    "apply_step",
    "check_outcome",
    "frame_of",
    "load_script_text",
    "open_script_case",
    "parse_script",
    "replacement_demand",
    "replay",
    "run",
]
