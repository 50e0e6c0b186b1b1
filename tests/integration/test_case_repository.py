"""Cases persist as their JSON document on SQLite and PostgreSQL, with their audit events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.unit.case_helpers import CONTENT, SUBSCRIBER, SYSTEM, T0

from comity.adapters.controlplane.db import make_engine
from comity.adapters.controlplane.intake_repo import SqlIntakeUnitOfWork, intake_uow_factory
from comity.adapters.controlplane.migrate import upgrade
from comity.domain.workflow import CaseState, new_case
from comity.errors import Conflict
from comity.services.cases.steps import record_opening, record_step


@pytest.fixture(params=["sqlite", "postgresql"])
def control_plane(
    request: pytest.FixtureRequest, tmp_path: Path, clock
) -> Iterator[Callable[[], SqlIntakeUnitOfWork]]:
    url = f"sqlite:///{tmp_path / 'control.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    upgrade(engine)
    yield intake_uow_factory(engine, clock.now)
    engine.dispose()


def _opened(case_id: str = "case-1"):
    return new_case(
        case_id=case_id,
        reference="13-MAG-2814",
        instrument="us.sca_warrant",
        issuer_country="US",
        received_at=T0,
        zone="America/New_York",
        now=T0,
    )


def test_a_case_round_trips_with_every_step_on_the_log(control_plane) -> None:
    with control_plane() as uow:
        case = record_opening(uow, _opened(), demand_id=None, at=T0)
        case = record_step(uow, case.assess([SUBSCRIBER, CONTENT], SYSTEM, T0), T0)
        uow.commit()
    with control_plane() as uow:
        stored = uow.cases.get("case-1", for_update=True)
        assert stored == case
        assert stored is not None
        assert stored.state is CaseState.ASSESSED
        assert [c.case_id for c in uow.cases.list(states=["assessed"])] == ["case-1"]
        assert uow.cases.list(states=["closed"]) == []
        assert uow.audit.tree().size == 2


def test_a_failed_step_leaves_the_stored_case_and_the_log_unchanged(control_plane) -> None:
    with control_plane() as uow:
        record_opening(uow, _opened(), demand_id=None, at=T0)
        uow.commit()
    with control_plane() as uow:
        case = uow.cases.get("case-1")
        assert case is not None
        record_step(uow, case.assess([SUBSCRIBER], SYSTEM, T0), T0)
        # no commit: the unit of work rolls back on exit
    with control_plane() as uow:
        case = uow.cases.get("case-1")
        assert case is not None
        assert case.state is CaseState.RECEIVED
        assert uow.audit.tree().size == 1


def test_a_case_id_is_stored_once(control_plane) -> None:
    with control_plane() as uow:
        record_opening(uow, _opened(), demand_id=None, at=T0)
        with pytest.raises(Conflict, match="already exists"):
            record_opening(uow, _opened(), demand_id=None, at=T0)
