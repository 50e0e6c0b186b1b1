"""Whom a case waits on, derived from the case alone, as the queue shows it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from tests.unit.case_helpers import (
    APPROVER,
    REVIEWER,
    SUBSCRIBER,
    T0,
    reach,
    reviewed,
    tick,
)

from comity.domain.categories import Category
from comity.domain.court_events import Motion, Ruling, Stay
from comity.domain.workflow import (
    CaseState,
    DecisionKind,
    FindingScope,
    WaitingOn,
    record_court_event,
    waiting_on,
)

S = CaseState
W = WaitingOn
ABROAD = FindingScope(categories=(Category.CONTENT,))


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


@pytest.mark.parametrize(
    ("state", "party"),
    [
        (S.RECEIVED, W.REVIEW),
        (S.ASSESSED, W.REVIEW),
        (S.IN_REVIEW, W.REVIEW),
        (S.APPROVED, W.PRODUCTION),
        (S.PARTLY_APPROVED, W.PRODUCTION),
        (S.IN_PRODUCTION, W.PRODUCTION),
        (S.OBJECTED, W.REQUESTER),
        (S.DELIVERED, W.NOBODY),
        (S.REJECTED, W.NOBODY),
        (S.REDIRECTED, W.NOBODY),
        (S.CLOSED, W.NOBODY),
        (S.WITHDRAWN, W.NOBODY),
    ],
)
def test_each_state_waits_on_its_party(state: CaseState, party: WaitingOn) -> None:
    assert waiting_on(reach(state)) is party


def test_a_recommendation_waits_on_a_second_person_until_approved() -> None:
    case = reach(S.IN_REVIEW)
    case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, REVIEWER, tick(3))
    assert waiting_on(case) is W.REVIEW  # deciding is still the reviewer's work
    case = reviewed(reach(S.IN_REVIEW))
    assert case.state is S.IN_REVIEW
    assert case.recommended_by == REVIEWER.id
    assert waiting_on(case) is W.APPROVAL
    approved, _ = case.approve(APPROVER, tick(6))
    assert waiting_on(approved) is W.PRODUCTION


def test_an_objection_before_a_court_waits_on_the_court_until_it_rules() -> None:
    case = reach(S.IN_REVIEW)
    motion = Motion(kind="motion_to_quash", motion_id="q1", at=day(2), scope=ABROAD)
    case, _ = record_court_event(case, motion, REVIEWER, day(2))
    assert case.state is S.OBJECTED
    assert waiting_on(case) is W.COURT
    ruled, _ = record_court_event(
        case, Ruling(at=day(20), decides="q1", outcome="denies"), REVIEWER, day(20)
    )
    assert not ruled.court.pending_motions()
    assert waiting_on(ruled) is not W.COURT


def test_a_stay_in_force_waits_on_the_court_in_any_open_state() -> None:
    case = reach(S.IN_REVIEW)
    stayed, _ = record_court_event(case, Stay(at=day(2), granted=True), REVIEWER, day(2))
    assert stayed.court.stay_in_force
    assert waiting_on(stayed) is W.COURT


def test_a_case_marked_for_reassessment_waits_on_review() -> None:
    case = reach(S.ASSESSED).model_copy(update={"needs_reassessment": "the rule pack changed"})
    assert waiting_on(case) is W.REVIEW
    finished = reach(S.CLOSED).model_copy(update={"needs_reassessment": "too late"})
    assert waiting_on(finished) is W.NOBODY
