"""Per-finding decisions and four-eyes approval."""

from __future__ import annotations

from datetime import date

import pytest
from tests.unit.case_helpers import (
    ADMIN,
    APPROVER,
    CONTENT,
    NOTHING,
    REVIEWER,
    SUBSCRIBER,
    new_case,
    reach,
    reviewed,
    tick,
)

from comity.domain.categories import Category
from comity.domain.workflow import (
    SYSTEM,
    Actor,
    CaseState,
    DecisionKind,
    FindingRef,
    Pathway,
    Period,
    WorkflowRole,
)
from comity.errors import Conflict, Forbidden, IllegalTransition, InvalidInput

BOTH = Actor(id="boris", roles=frozenset({WorkflowRole.REVIEWER, WorkflowRole.APPROVER}))
OTHER_BOTH = Actor(id="bella", roles=frozenset({WorkflowRole.REVIEWER, WorkflowRole.APPROVER}))


# --- four eyes ---------------------------------------------------------------------------


def test_the_same_person_holding_both_roles_cannot_recommend_and_approve() -> None:
    case = reach(CaseState.IN_REVIEW)
    case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, BOTH, tick(3))
    case, _ = case.decide(CONTENT.key, DecisionKind.PRODUCE, BOTH, tick(4))
    case, _ = case.recommend(BOTH, tick(5))
    with pytest.raises(Forbidden, match="four eyes"):
        case.approve(BOTH, tick(6))
    assert case.state is CaseState.IN_REVIEW
    approved, events = case.approve(OTHER_BOTH, tick(6))
    assert approved.state is CaseState.APPROVED
    assert (approved.recommended_by, approved.approved_by) == ("boris", "bella")
    assert events[0].payload["to"] == "approved"


def test_nothing_enters_production_without_a_second_approver() -> None:
    case = reviewed(reach(CaseState.IN_REVIEW))
    with pytest.raises(IllegalTransition, match="in_review"):
        case.start_production(ADMIN, tick(6))
    with pytest.raises(Conflict, match="no reviewer has recommended"):
        reach(CaseState.IN_REVIEW).approve(APPROVER, tick(6))


def test_a_tampered_approval_by_the_reviewer_still_cannot_produce() -> None:
    case = reach(CaseState.APPROVED)
    forged = case.model_copy(update={"approved_by": case.recommended_by})
    with pytest.raises(Forbidden, match="four eyes"):
        forged.start_production(ADMIN, tick(7))
    missing = case.model_copy(update={"approved_by": None})
    with pytest.raises(Forbidden):
        missing.start_production(ADMIN, tick(7))


def test_changing_a_decision_after_recommendation_needs_a_new_recommendation() -> None:
    case = reviewed(reach(CaseState.IN_REVIEW))
    case, _ = case.decide(CONTENT.key, DecisionKind.WITHHOLD, REVIEWER, tick(6), justification="x")
    assert case.recommended_by is None
    with pytest.raises(Conflict, match="recommended"):
        case.approve(APPROVER, tick(7))


def test_recommend_needs_every_finding_with_data_decided() -> None:
    case = reach(CaseState.IN_REVIEW)
    case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, REVIEWER, tick(3))
    with pytest.raises(InvalidInput, match=CONTENT.key):
        case.recommend(REVIEWER, tick(4))


def test_approving_nothing_to_produce_is_refused() -> None:
    case = reach(CaseState.IN_REVIEW)
    for f in (SUBSCRIBER, CONTENT):
        case, _ = case.decide(f.key, DecisionKind.WITHHOLD, REVIEWER, tick(3), justification="no")
    case, _ = case.recommend(REVIEWER, tick(4))
    with pytest.raises(InvalidInput, match="reject or redirect"):
        case.approve(APPROVER, tick(5))


def test_partial_decisions_give_partly_approved() -> None:
    assert reach(CaseState.PARTLY_APPROVED).state is CaseState.PARTLY_APPROVED
    case = reach(CaseState.IN_REVIEW)
    case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, REVIEWER, tick(3))
    narrow = Period(start=date(2026, 3, 1), end=date(2026, 3, 31))
    case, _ = case.decide(CONTENT.key, DecisionKind.NARROW, REVIEWER, tick(4), period=narrow)
    case, _ = case.recommend(REVIEWER, tick(5))
    case, _ = case.approve(APPROVER, tick(6))
    assert case.state is CaseState.PARTLY_APPROVED
    assert case.effective_status(CONTENT.key) == "narrowed"


def test_resume_after_objection_starts_approval_over() -> None:
    case = reach(CaseState.APPROVED)
    case, _ = case.object(REVIEWER, tick(10), "motion to quash")
    case, _ = case.resume(REVIEWER, tick(11), "motion withdrawn")
    assert case.state is CaseState.IN_REVIEW
    assert case.recommended_by is None
    assert case.approved_by is None


# --- per-finding decisions -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        (date(2025, 12, 31), date(2026, 3, 1), "not inside"),
        (date(2026, 3, 1), date(2026, 9, 1), "not inside"),
        (date(2026, 1, 1), date(2026, 8, 31), "whole period"),
        (date(2026, 5, 1), date(2026, 4, 1), "after the end"),
    ],
)
def test_a_narrower_period_must_lie_inside_the_demands(
    start: date, end: date, problem: str
) -> None:
    case = reach(CaseState.IN_REVIEW)
    with pytest.raises(InvalidInput, match=problem):
        case.decide(
            SUBSCRIBER.key,
            DecisionKind.NARROW,
            REVIEWER,
            tick(3),
            period=Period(start=start, end=end),
        )


def test_narrowing_at_the_period_edges_is_allowed() -> None:
    case = reach(CaseState.IN_REVIEW)
    edge = Period(start=date(2026, 1, 1), end=date(2026, 8, 30))
    case, events = case.decide(SUBSCRIBER.key, DecisionKind.NARROW, REVIEWER, tick(3), period=edge)
    assert case.decisions[SUBSCRIBER.key].period == edge
    assert events[0].action == "case:finding:decided"


def test_narrow_needs_a_period_and_other_decisions_take_none() -> None:
    case = reach(CaseState.IN_REVIEW)
    with pytest.raises(InvalidInput, match="needs a start"):
        case.decide(SUBSCRIBER.key, DecisionKind.NARROW, REVIEWER, tick(3))
    with pytest.raises(InvalidInput, match="only a decision to narrow"):
        case.decide(
            SUBSCRIBER.key,
            DecisionKind.PRODUCE,
            REVIEWER,
            tick(3),
            period=Period(start=date(2026, 2, 1), end=date(2026, 2, 2)),
        )


def test_overriding_a_pathway_needs_a_written_justification() -> None:
    case = reach(CaseState.IN_REVIEW)
    with pytest.raises(InvalidInput, match="justification"):
        case.decide(CONTENT.key, DecisionKind.WITHHOLD, REVIEWER, tick(3))
    with pytest.raises(InvalidInput, match="justification"):
        case.decide(CONTENT.key, DecisionKind.WITHHOLD, REVIEWER, tick(3), justification="   ")
    case, _ = case.decide(
        CONTENT.key, DecisionKind.WITHHOLD, REVIEWER, tick(3), justification="stored in Dublin"
    )
    decision = case.decisions[CONTENT.key]
    assert decision.overrides_pathway
    assert decision.justification == "stored in Dublin"


def _assessed_with(pathway: Pathway) -> FindingRef:
    return FindingRef(
        target="x@example.com", category=Category.CONTENT, region="eu-ie", pathway=pathway
    )


@pytest.mark.parametrize(
    ("pathway", "kind", "overrides"),
    [
        (Pathway.DISCLOSE, DecisionKind.PRODUCE, False),
        (Pathway.DISCLOSE, DecisionKind.WITHHOLD, True),
        (Pathway.MAY_DISCLOSE, DecisionKind.WITHHOLD, False),
        (Pathway.MAY_DISCLOSE, DecisionKind.PRODUCE, False),
        (Pathway.NOTIFY_THEN_DISCLOSE, DecisionKind.WITHHOLD, True),
        (Pathway.REDIRECT_MLAT, DecisionKind.PRODUCE, True),
        (Pathway.REJECT, DecisionKind.WITHHOLD, False),
        (Pathway.OBJECT, DecisionKind.PRODUCE, True),
        (Pathway.PRESERVE, DecisionKind.PRODUCE, True),
    ],
)
def test_which_decisions_override_the_pathway(
    pathway: Pathway, kind: DecisionKind, overrides: bool
) -> None:
    finding = _assessed_with(pathway)
    case = new_case()
    case, _ = case.assess([finding], SYSTEM, tick(1))
    case, _ = case.start_review(REVIEWER, tick(2))
    if overrides:
        with pytest.raises(InvalidInput, match="justification"):
            case.decide(finding.key, kind, REVIEWER, tick(3))
    case, _ = case.decide(finding.key, kind, REVIEWER, tick(3), justification="because")
    assert case.decisions[finding.key].overrides_pathway is overrides


def test_no_data_findings_take_no_decision_and_unknown_keys_are_named() -> None:
    case = reach(CaseState.IN_REVIEW)
    with pytest.raises(InvalidInput, match="no data"):
        case.decide(NOTHING.key, DecisionKind.PRODUCE, REVIEWER, tick(3))
    with pytest.raises(InvalidInput, match="no finding 'nope'"):
        case.decide("nope", DecisionKind.PRODUCE, REVIEWER, tick(3))


def test_assessment_refuses_empty_or_duplicate_findings() -> None:
    with pytest.raises(InvalidInput, match="at least one"):
        new_case().assess([], SYSTEM, tick(1))
    with pytest.raises(InvalidInput, match="more than once"):
        new_case().assess([SUBSCRIBER, SUBSCRIBER], SYSTEM, tick(1))


def test_reassessment_says_what_changed_and_keeps_unchanged_decisions() -> None:
    case = reach(CaseState.IN_REVIEW)
    case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, REVIEWER, tick(3))
    case, _ = case.decide(CONTENT.key, DecisionKind.PRODUCE, REVIEWER, tick(4))
    moved = CONTENT.model_copy(update={"pathway": Pathway.REDIRECT_MLAT})
    case, events = case.reassess(
        [SUBSCRIBER, moved, NOTHING], SYSTEM, tick(5), "as of 2016-07-14 (829 F.3d 197)"
    )
    assert case.state is CaseState.ASSESSED
    assert events[0].payload["changes"] == [
        {
            "finding": CONTENT.key,
            "before": "disclose",
            "after": "redirect_mlat",
            "changed": {"pathway": ["disclose", "redirect_mlat"]},
        }
    ]
    assert case.reassessments[-1].changes == tuple(events[0].payload["changes"])
    assert case.reassessments[-1].reason == "as of 2016-07-14 (829 F.3d 197)"
    assert set(case.decisions) == {SUBSCRIBER.key}
