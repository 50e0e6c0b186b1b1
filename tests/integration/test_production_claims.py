"""Issue 14: the claim that keeps one production per case is a row taken in a transaction, and
behaves the same on SQLite and PostgreSQL, including when many claim at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.unit.case_helpers import T0

from comity.adapters.controlplane.db import make_engine
from comity.adapters.controlplane.migrate import upgrade
from comity.adapters.controlplane.productions_repo import (
    SqlProductionUnitOfWork,
    production_uow_factory,
)
from comity.domain.workflow import new_case
from comity.services.cases.steps import record_opening
from comity.services.productions.ports import ProductionClaim

Factory = Callable[[], SqlProductionUnitOfWork]


@pytest.fixture(params=["sqlite", "postgresql"])
def control_plane(request: pytest.FixtureRequest, tmp_path: Path, clock) -> Iterator[Factory]:
    url = f"sqlite:///{tmp_path / 'control.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    upgrade(engine)
    factory = production_uow_factory(engine, clock.now)
    with factory() as uow:
        opened = new_case(
            case_id="case-1",
            reference="13-MAG-2814",
            instrument="us.sca_warrant",
            issuer_country="US",
            received_at=T0,
            zone="America/New_York",
            now=T0,
        )
        record_opening(uow, opened, demand_id=None, at=T0)
        uow.commit()
    yield factory
    engine.dispose()


def _claim(token: str, pid: int = 1) -> ProductionClaim:
    return ProductionClaim("case-1", token, "host-a", pid, T0, T0, f"prd-{token}")


def test_the_first_claim_holds_and_only_its_token_refreshes_releases_or_loses_it(
    control_plane: Factory,
) -> None:
    with control_plane() as uow:
        assert uow.productions.claim(_claim("a")) is None
        uow.commit()
    with control_plane() as uow:
        held = uow.productions.claim(_claim("b"))
        assert held is not None
        assert (held.token, held.production_id, held.pid) == ("a", "prd-a", 1)
        assert held.claimed_at == T0
        assert not uow.productions.take_over("not-a", _claim("b"))
        assert uow.productions.take_over("a", _claim("b", pid=2))
        uow.commit()
    later = T0 + timedelta(seconds=40)
    with control_plane() as uow:
        assert not uow.productions.refresh_claim(
            ProductionClaim("case-1", "a", "host-a", 1, T0, later)
        )
        assert uow.productions.refresh_claim(
            ProductionClaim("case-1", "b", "host-a", 2, T0, later, "prd-b")
        )
        uow.productions.release_claim("case-1", "a")  # not its holder: nothing happens
        uow.commit()
    with control_plane() as uow:
        held = uow.productions.claim(_claim("c"))
        assert held is not None
        assert (held.token, held.heartbeat_at) == ("b", later)
        uow.productions.release_claim("case-1", "b")
        uow.commit()
    with control_plane() as uow:
        assert uow.productions.claim(_claim("c")) is None
        uow.commit()


def test_of_many_claiming_at_once_exactly_one_holds_the_case(control_plane: Factory) -> None:
    start = threading.Barrier(6)
    won: list[str] = []
    lost: list[str] = []

    def contend(token: str) -> None:
        start.wait()
        with control_plane() as uow:
            held = uow.productions.claim(_claim(token))
            if held is None:
                uow.commit()
                won.append(token)
            else:
                lost.append(held.token)

    threads = [threading.Thread(target=contend, args=(f"t{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(won) == 1
    assert len(lost) == 5
    assert set(lost) == set(won)
