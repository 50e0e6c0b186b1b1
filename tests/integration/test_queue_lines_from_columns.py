"""The API's queue lines come from indexed columns and ``case_deadlines`` without decoding the
case document (issue 20); each must equal the line built from the document, for any case a
sequence of workflow actions can make, any caller and any instant."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.case_helpers import REQUESTER, T0, reach, reviewed
from tests.unit.test_case_properties import PEOPLE, walk, weighted

from comity.adapters.controlplane.case_tables import CaseDeadlineRow, CaseRow
from comity.adapters.controlplane.db import make_engine
from comity.adapters.controlplane.intake_repo import SqlIntakeUnitOfWork, intake_uow_factory
from comity.adapters.controlplane.migrate import upgrade
from comity.domain.registry import StaffRole, User
from comity.domain.workflow import Actor, Case, CaseState, DecisionKind
from comity.services.cases import queue as case_queue

#: Staff with the walk's people's ids, so four eyes (who recommended) shows in the lines.
_STAFF_ROLES = {r.value for r in StaffRole}
STAFF = [
    User(
        p.id,
        p.id,
        f"{p.id}@provider.example",
        roles=frozenset(StaffRole(r.value) for r in p.roles if r.value in _STAFF_ROLES),
    )
    for p in PEOPLE
] + [User("aud", "Auditor", "aud@provider.example", roles=frozenset({StaffRole.AUDITOR}))]


class _Clock:
    def __init__(self) -> None:
        self.current = T0

    def now(self):  # type: ignore[no-untyped-def]
        return self.current


@pytest.fixture(scope="module")
def control_plane() -> Iterator[Callable[[], SqlIntakeUnitOfWork]]:
    with tempfile.TemporaryDirectory() as home:
        engine = make_engine(f"sqlite:///{Path(home) / 'control.db'}")
        upgrade(engine)
        yield intake_uow_factory(engine, lambda: T0)
        engine.dispose()


def _replace_all(factory: Callable[[], SqlIntakeUnitOfWork], first: Case, final: Case) -> None:
    """Store ``first`` and save ``final`` over it (the add and update paths), alone."""
    with factory() as uow:
        uow.session.execute(sa.delete(CaseDeadlineRow))
        uow.session.execute(sa.delete(CaseRow))
        uow.cases.add(first, None, T0)
        uow.cases.update(final, T0 + timedelta(hours=1))
        uow.commit()


@given(data=st.data(), hours=st.integers(min_value=-48, max_value=24 * 400))
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_line_from_the_columns_equals_the_line_from_the_document(
    control_plane: Callable[[], SqlIntakeUnitOfWork], data: st.DataObject, hours: int
) -> None:
    def choose(allowed: list[str], i: int) -> tuple[str, Actor, DecisionKind]:
        return (
            data.draw(st.sampled_from(weighted(allowed)), label=f"action {i}"),
            data.draw(st.sampled_from(PEOPLE), label=f"actor {i}"),
            data.draw(st.sampled_from(list(DecisionKind)), label=f"decision {i}"),
        )

    start = data.draw(st.sampled_from([CaseState.RECEIVED, CaseState.ASSESSED]), label="start")
    first = reach(start)
    final = walk(first, choose) if start is CaseState.ASSESSED else first
    _replace_all(control_plane, first, final)
    clock = _Clock()
    clock.current = T0 + timedelta(hours=hours)
    for user in STAFF:
        from_document = case_queue.queue_page(control_plane, clock, user)
        from_columns = case_queue.queue_lines(control_plane, clock, user)
        assert [i.line for i in from_document.items] == from_columns.items
        assert [i.to_document() for i in from_document.items] == [
            line.to_document() for line in from_columns.items
        ]
        assert len(from_columns.items) == 1


def test_the_walk_makes_cases_with_deadlines_recommendations_and_overdue_lines(
    control_plane: Callable[[], SqlIntakeUnitOfWork],
) -> None:
    """Guard: the property above sees lines where every derived field matters."""
    final = reviewed(reach(CaseState.IN_REVIEW))  # recommended by rita (PEOPLE[0])
    _replace_all(control_plane, reach(CaseState.RECEIVED), final)
    clock = _Clock()
    clock.current = T0 + timedelta(days=400)
    by_approver = case_queue.queue_lines(control_plane, clock, STAFF[1]).items[0]
    by_recommender = case_queue.queue_lines(control_plane, clock, STAFF[0]).items[0]
    assert by_approver.waiting_on == "approval"
    assert "approve" in by_approver.allowed
    assert "approve" not in by_recommender.allowed
    # Approved, the case owes the user notice before disclosure: a deadline, overdue by now.
    approved = reach(CaseState.APPROVED)
    _replace_all(control_plane, reach(CaseState.RECEIVED), approved)
    line = case_queue.queue_lines(control_plane, clock, STAFF[1]).items[0]
    assert line.next_deadline is not None
    assert line.overdue >= 1
    assert REQUESTER.id not in {u.id for u in STAFF}
