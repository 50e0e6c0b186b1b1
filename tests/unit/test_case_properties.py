"""Properties over many generated inputs: day counting in any zone, and four eyes under any
sequence of actions by any mix of people."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.case_helpers import CONTENT, SUBSCRIBER, act, reach

from comity.domain import deadlines as dl
from comity.domain.workflow import (
    Action,
    Actor,
    Case,
    CaseState,
    DecisionKind,
    Period,
    WorkflowRole,
)
from comity.errors import ComityError

ZONES = ["Europe/Dublin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@given(
    at=st.datetimes(
        min_value=datetime(2010, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=1, max_value=200),
    zone=st.sampled_from(ZONES),
)
@settings(max_examples=300, deadline=None)
def test_a_day_period_ends_at_local_midnight_days_plus_one_after_the_local_event_day(
    at: datetime, days: int, zone: str
) -> None:
    due = dl.days_after(at, days, zone)
    local = due.astimezone(ZoneInfo(zone))
    assert (local.hour, local.minute, local.second) == (0, 0, 0)
    assert (local.date() - at.astimezone(ZoneInfo(zone)).date()).days == days + 1
    assert due > at
    assert due.tzinfo == UTC


@given(
    at=st.datetimes(
        min_value=datetime(2010, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    hours=st.sampled_from([8, 96]),
)
def test_hour_periods_are_elapsed_time(at: datetime, hours: int) -> None:
    assert dl.hours_after(at, hours) - at == timedelta(hours=hours)


PEOPLE = [
    Actor(id="rita", roles=frozenset({WorkflowRole.REVIEWER})),
    Actor(id="alan", roles=frozenset({WorkflowRole.APPROVER})),
    Actor(id="boris", roles=frozenset({WorkflowRole.REVIEWER, WorkflowRole.APPROVER})),
    Actor(id="omni", roles=frozenset(WorkflowRole)),
    Actor(id="ada", roles=frozenset({WorkflowRole.ADMINISTRATOR})),
]


NARROWER = Period(start=date(2026, 2, 1), end=date(2026, 2, 28))
FORWARD = {"start_review", "decide", "recommend", "approve", "start_production", "deliver"}


def weighted(allowed: list[str]) -> list[str]:
    """Forward actions ten times as likely, so walks get far enough to test production."""
    return [a for a in allowed for _ in range(10 if a in FORWARD else 1)]


def walk(case: Case, choose: Callable[[list[str], int], tuple[str, Actor, DecisionKind]]) -> Case:
    """Take up to 30 actions, each among those the state allows, by a person ``choose`` picks."""
    for i in range(30):
        allowed = case.allowed_actions()
        if not allowed:
            break
        name, actor, kind = choose(allowed, i)
        at = case.received_at + timedelta(minutes=10 + i)
        try:
            if name == Action.DECIDE.value:
                period = NARROWER if kind is DecisionKind.NARROW else None
                for f in (SUBSCRIBER, CONTENT):
                    case, _ = case.decide(f.key, kind, actor, at, period=period, justification="j")
            else:
                case, _ = act(case, Action(name), actor, at)  # type: ignore[assignment]
        except ComityError:
            continue
        if case.state in (CaseState.IN_PRODUCTION, CaseState.DELIVERED):
            assert case.recommended_by is not None
            assert case.approved_by is not None
            assert case.approved_by != case.recommended_by
    return case


@given(data=st.data())
@settings(max_examples=150, deadline=None)
def test_no_sequence_of_actions_produces_without_two_different_people(data: st.DataObject) -> None:
    def choose(allowed: list[str], i: int) -> tuple[str, Actor, DecisionKind]:
        return (
            data.draw(st.sampled_from(weighted(allowed)), label=f"action {i}"),
            data.draw(st.sampled_from(PEOPLE), label=f"actor {i}"),
            data.draw(st.sampled_from(list(DecisionKind)), label=f"decision {i}"),
        )

    walk(reach(CaseState.ASSESSED), choose)


def test_the_random_walk_does_reach_production() -> None:
    """Guard against the property above passing only because production is never reached."""
    rng = random.Random(7)
    reached = 0
    for _ in range(200):
        seen: list[CaseState] = []

        def choose(allowed: list[str], i: int) -> tuple[str, Actor, DecisionKind]:
            return rng.choice(weighted(allowed)), rng.choice(PEOPLE), rng.choice(list(DecisionKind))

        case = walk(reach(CaseState.ASSESSED), choose)
        seen.extend(h.to_state for h in case.history)
        reached += CaseState.IN_PRODUCTION in seen
    assert reached >= 10
