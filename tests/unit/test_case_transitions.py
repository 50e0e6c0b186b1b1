"""The case state machine: every legal transition works, every other one is refused clearly.

The pairs come from the transition table itself, so a row added to the table is tested here.
"""

from __future__ import annotations

import json

import pytest
from tests.unit.case_helpers import (
    ADMIN,
    APPROVER,
    CONTENT,
    EVERYONE,
    FINDINGS,
    REVIEWER,
    SUBSCRIBER,
    act,
    reach,
    reviewed,
    tick,
)

from comity.domain.case.transitions import illegal_pairs, legal_pairs
from comity.domain.workflow import TABLE, Action, Actor, Case, CaseState, DecisionKind, WorkflowRole
from comity.errors import Conflict, Forbidden, IllegalTransition, InvalidInput


def _prepared(state: CaseState, action: Action) -> Case:
    """A case in ``state`` with what ``action`` needs beyond the state itself."""
    if action is Action.OBJECT and state is CaseState.DELIVERED:
        return reach(state, partly=True)
    case = reach(state)
    if state is CaseState.IN_REVIEW and action is Action.APPROVE:
        return reviewed(case)
    if state is CaseState.IN_REVIEW and action is Action.RECOMMEND:
        case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, REVIEWER, tick(3))
        case, _ = case.decide(CONTENT.key, DecisionKind.PRODUCE, REVIEWER, tick(4))
    return case


def _actor_for(action: Action) -> Actor:
    roles = TABLE[action].roles
    if WorkflowRole.APPROVER in roles and action is Action.APPROVE:
        return APPROVER
    return Actor(id=f"someone-{action.value}", roles=roles)


@pytest.mark.parametrize(("state", "action"), legal_pairs(), ids=str)
def test_every_legal_transition_reaches_a_target_state(state: CaseState, action: Action) -> None:
    case = _prepared(state, action)
    new, events = act(case, action, _actor_for(action), tick(20))
    assert new.state in TABLE[action].targets
    assert case.state is state, "the old case is unchanged"
    assert events, "every transition returns its audit events"
    if action is not Action.DECIDE:
        assert new.history[-1].action == action.value
        assert new.history[-1].from_state is state
        assert events[-1].action == f"case:{action.value}"
    assert all(e.to_audit().payload_digest.startswith("sha256:") for e in events)


@pytest.mark.parametrize(("state", "action"), illegal_pairs(), ids=str)
def test_every_illegal_transition_is_refused_naming_state_action_and_allowed(
    state: CaseState, action: Action
) -> None:
    case = reach(state)
    with pytest.raises(IllegalTransition) as info:
        act(case, action, EVERYONE, tick(20))
    err = info.value
    assert err.state == state.value
    assert err.action == action.value
    assert err.allowed == case.allowed_actions()
    assert state.value in err.message
    assert action.value in err.message
    for allowed in err.allowed:
        assert allowed in err.message
    assert err.http_status == 409


def test_table_covers_every_pair_once() -> None:
    pairs = set(legal_pairs()) | set(illegal_pairs())
    assert len(pairs) == len(CaseState) * len(Action)
    assert not set(legal_pairs()) & set(illegal_pairs())


def test_closed_and_withdrawn_allow_nothing() -> None:
    assert reach(CaseState.CLOSED).allowed_actions() == []
    assert reach(CaseState.WITHDRAWN).allowed_actions() == []
    with pytest.raises(IllegalTransition, match="none"):
        reach(CaseState.CLOSED).withdraw(EVERYONE, tick(30))


@pytest.mark.parametrize(("state", "action"), legal_pairs(), ids=str)
def test_only_the_named_roles_may_act(state: CaseState, action: Action) -> None:
    others = frozenset(WorkflowRole) - TABLE[action].roles
    case = _prepared(state, action)
    with pytest.raises(Forbidden, match=action.value):
        act(case, action, Actor(id="outsider", roles=others), tick(20))


@pytest.mark.parametrize(
    "action", [a for a, rule in TABLE.items() if rule.needs_reason], ids=lambda a: a.value
)
def test_reason_is_required_where_the_table_says(action: Action) -> None:
    state = sorted(TABLE[action].sources)[0]
    case = _prepared(state, action)
    actor = _actor_for(action)
    calls = {
        Action.REASSESS: lambda: case.reassess(FINDINGS, actor, tick(20), "  "),
        Action.REJECT: lambda: case.reject(actor, tick(20), ""),
        Action.REDIRECT: lambda: case.redirect(actor, tick(20), " "),
        Action.OBJECT: lambda: case.object(actor, tick(20), ""),
        Action.RESUME: lambda: case.resume(actor, tick(20), ""),
        Action.CLOSE: lambda: case.close(actor, tick(20), ""),
    }
    with pytest.raises(InvalidInput, match="reason"):
        calls[action]()


def test_case_round_trips_through_plain_json() -> None:
    case = reach(CaseState.DELIVERED, partly=True)
    doc = json.loads(json.dumps(case.model_dump(mode="json")))
    back = Case.model_validate(doc)
    assert back == case
    assert back.received_at.utcoffset() is not None


def test_object_after_full_delivery_is_refused() -> None:
    with pytest.raises(Conflict, match="nothing left"):
        reach(CaseState.DELIVERED).object(REVIEWER, tick(30), "too late")


def test_delivery_records_what_was_produced() -> None:
    case = reach(CaseState.DELIVERED, partly=True)
    assert case.produced == (SUBSCRIBER.key,)
    assert case.statuses() == {
        SUBSCRIBER.key: "produced",
        CONTENT.key: "withhold",
        FINDINGS[2].key: "no_data",
    }


def test_admin_cannot_approve() -> None:
    case = reviewed(reach(CaseState.IN_REVIEW))
    with pytest.raises(Forbidden):
        case.approve(ADMIN, tick(20))


def test_a_naive_now_is_refused_before_anything_changes() -> None:
    from datetime import datetime  # noqa: PLC0415

    case = reach(CaseState.ASSESSED)
    with pytest.raises(InvalidInput, match="now: a time zone is required"):
        case.start_review(REVIEWER, datetime(2026, 9, 1, 12))
