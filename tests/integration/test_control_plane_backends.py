"""The control plane works the same on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from comity.adapters.controlplane.db import make_engine
from comity.adapters.controlplane.migrate import upgrade
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.adapters.controlplane.unit_of_work import SqlUnitOfWork, uow_factory
from comity.domain.accounts import Account, Selector
from comity.domain.categories import Category
from comity.domain.merkle import CompactRange, leaf_hash
from comity.errors import Conflict
from comity.services.accounts import create_account, find_account, list_accounts


@pytest.fixture(params=["sqlite", "postgresql"])
def control_plane(
    request: pytest.FixtureRequest, tmp_path: Path, clock
) -> Iterator[Callable[[], SqlUnitOfWork]]:
    url = f"sqlite:///{tmp_path / 'control.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    upgrade(engine)
    upgrade(engine)  # migrating twice is a no-op
    yield uow_factory(engine, clock.now)
    engine.dispose()


def test_accounts_and_their_audit_entries_persist(control_plane, clock) -> None:
    ms = Account(
        "msn-1",
        (Selector("email", "target@msn.example"),),
        "eu-ie",
        {Category.SUBSCRIBER: "us-west", Category.TRAFFIC: "us-west"},
    )
    other = Account("a2", (Selector("phone", "+353861234567"),), "eu-ie", us_person=False)
    for account in (ms, other):
        create_account(control_plane, account, actor="test", clock=clock)
    assert list_accounts(control_plane) == [other, ms]
    assert find_account(control_plane, Selector("email", "TARGET@msn.example")) == ms
    with pytest.raises(Conflict):
        create_account(control_plane, ms, actor="test", clock=clock)
    with control_plane() as uow:
        tree = uow.audit.tree()
        leaves = list(
            uow.session.scalars(select(AuditEntryRow.leaf_hash).order_by(AuditEntryRow.idx))
        )
    expected = CompactRange.empty()
    for leaf in leaves:
        expected = expected.append(leaf)
    assert tree.size == 2
    assert tree.root() == expected.root()
    assert all(len(leaf) == 32 for leaf in leaves)
    assert leaves[0] != leaf_hash(b"")
