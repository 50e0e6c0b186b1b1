"""Builders shared by the case workflow tests: actors, findings, and a case in any state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from comity.domain.categories import Category
from comity.domain.workflow import (
    SYSTEM,
    Action,
    Actor,
    Case,
    CaseState,
    DecisionKind,
    FindingRef,
    Pathway,
    Period,
    WorkflowRole,
)
from comity.domain.workflow import new_case as new_case_step

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
REVIEWER = Actor(id="rita", roles=frozenset({WorkflowRole.REVIEWER}))
APPROVER = Actor(id="alan", roles=frozenset({WorkflowRole.APPROVER}))
ADMIN = Actor(id="ada", roles=frozenset({WorkflowRole.ADMINISTRATOR}))
REQUESTER = Actor(id="agent-7", roles=frozenset({WorkflowRole.REQUESTER}))
EVERYONE = Actor(id="omni", roles=frozenset(WorkflowRole))

SUBSCRIBER = FindingRef(
    target="target@example.com",
    category=Category.SUBSCRIBER,
    region="us-east",
    data_country="US",
    pathway=Pathway.DISCLOSE,
)
CONTENT = FindingRef(
    target="target@example.com",
    category=Category.CONTENT,
    region="eu-ie",
    data_country="IE",
    pathway=Pathway.DISCLOSE,
)
NOTHING = FindingRef(
    target="target@example.com",
    category=Category.TRAFFIC,
    region=None,
    pathway=Pathway.NO_DATA,
)
FINDINGS = [SUBSCRIBER, CONTENT, NOTHING]


def tick(n: int) -> datetime:
    return T0 + timedelta(minutes=n)


def new_case(**kwargs: object) -> Case:
    defaults: dict[str, object] = {
        "case_id": "c-1",
        "reference": "13-MAG-2814",
        "instrument": "us.warrant",
        "issuer_country": "US",
        "received_at": T0,
        "zone": "America/New_York",
        "now": T0,
        "period": Period(start=date(2026, 1, 1), end=date(2026, 8, 31)),
    }
    defaults.update(kwargs)
    case, _ = new_case_step(**defaults)  # type: ignore[arg-type]
    return case


def reviewed(case: Case, *, partly: bool = False) -> Case:
    """From in_review: decide every finding and recommend (by the reviewer)."""
    case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, REVIEWER, tick(3))
    if partly:
        case, _ = case.decide(
            CONTENT.key,
            DecisionKind.WITHHOLD,
            REVIEWER,
            tick(4),
            justification="content is stored only in Dublin",
        )
    else:
        case, _ = case.decide(CONTENT.key, DecisionKind.PRODUCE, REVIEWER, tick(4))
    case, _ = case.recommend(REVIEWER, tick(5))
    return case


def reach(state: CaseState, *, partly: bool = False) -> Case:
    """A case driven to ``state`` through legal actions only."""
    case = new_case()
    if state is CaseState.RECEIVED:
        return case
    if state is CaseState.WITHDRAWN:
        return case.withdraw(REQUESTER, tick(1), "no longer needed")[0]
    case, _ = case.assess(FINDINGS, SYSTEM, tick(1))
    if state is CaseState.ASSESSED:
        return case
    case, _ = case.start_review(REVIEWER, tick(2))
    if state is CaseState.IN_REVIEW:
        return case
    if state is CaseState.REJECTED:
        return case.reject(REVIEWER, tick(3), "not signed by a judge")[0]
    if state is CaseState.REDIRECTED:
        return case.redirect(REVIEWER, tick(3), "serve the customer")[0]
    if state is CaseState.OBJECTED:
        return case.object(REVIEWER, tick(3), "conflicts with Irish law")[0]
    partly = partly or state is CaseState.PARTLY_APPROVED
    case = reviewed(case, partly=partly)
    case, _ = case.approve(APPROVER, tick(6))
    if state in (CaseState.APPROVED, CaseState.PARTLY_APPROVED):
        assert case.state is state
        return case
    case, _ = case.start_production(ADMIN, tick(7))
    if state is CaseState.IN_PRODUCTION:
        return case
    case, _ = case.deliver(ADMIN, tick(8))
    if state is CaseState.DELIVERED:
        return case
    case, _ = case.close(ADMIN, tick(9), "produced and delivered")
    assert state is CaseState.CLOSED
    return case


def act(case: Case, action: Action, actor: Actor, at: datetime) -> tuple[Case, list[object]]:
    """Take ``action`` with plausible arguments (a reason where one is needed)."""
    reason = f"reason for {action.value}"
    match action:
        case Action.ASSESS:
            return case.assess(FINDINGS, actor, at)  # type: ignore[return-value]
        case Action.REASSESS:
            return case.reassess(FINDINGS, actor, at, reason)  # type: ignore[return-value]
        case Action.START_REVIEW:
            return case.start_review(actor, at)  # type: ignore[return-value]
        case Action.DECIDE:
            return case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, actor, at)  # type: ignore[return-value]
        case Action.RECOMMEND:
            return case.recommend(actor, at)  # type: ignore[return-value]
        case Action.APPROVE:
            return case.approve(actor, at)  # type: ignore[return-value]
        case Action.REJECT:
            return case.reject(actor, at, reason)  # type: ignore[return-value]
        case Action.REDIRECT:
            return case.redirect(actor, at, reason)  # type: ignore[return-value]
        case Action.OBJECT:
            return case.object(actor, at, reason)  # type: ignore[return-value]
        case Action.RESUME:
            return case.resume(actor, at, reason)  # type: ignore[return-value]
        case Action.START_PRODUCTION:
            return case.start_production(actor, at)  # type: ignore[return-value]
        case Action.DELIVER:
            return case.deliver(actor, at)  # type: ignore[return-value]
        case Action.CLOSE:
            return case.close(actor, at, reason)  # type: ignore[return-value]
        case Action.WITHDRAW:
            return case.withdraw(actor, at, reason)  # type: ignore[return-value]
