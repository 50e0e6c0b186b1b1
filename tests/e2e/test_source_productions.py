"""End to end: a demand for two mailboxes on the provider's Dovecot and one account in its
PostgreSQL records database is assessed, approved and produced through the region's sources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.dovecot_support import Dovecot, running_dovecot
from tests.production_support import ProductionWorld, approve
from tests.source_support import (
    ACCOUNTS,
    ALICE,
    BOB,
    CAROL,
    JUNE,
    build_with_sources,
    deliver,
    records_database,
    submit_for,
)

from comity.adapters.package.archive import extract_canonical
from comity.adapters.package.reader import read_records
from comity.domain.categories import Category
from comity.services.cases import holds as case_holds


@pytest.fixture
def server() -> Iterator[Dovecot]:
    with running_dovecot() as dovecot:
        for user in (ALICE, BOB, CAROL):
            dovecot.add_user(user)
        yield dovecot


def test_a_demand_is_produced_from_dovecot_and_the_records_database_byte_for_byte(
    tmp_path: Path, server: Dovecot, pg_url: str
) -> None:
    for n in range(3):
        deliver(server, ALICE, n, JUNE + timedelta(days=n), seen=n == 0)
    deliver(server, ALICE, 50, datetime(2014, 3, 1, tzinfo=UTC))  # after the period
    deliver(server, BOB, 7, JUNE, seen=True)
    deliver(server, BOB, 8, JUNE + timedelta(hours=5))
    flags_before = {u: server.flags(u) for u in (ALICE, BOB)}
    pw = build_with_sources(tmp_path / "dep", server, records_database(pg_url))
    demand_id = submit_for(pw, [ALICE, BOB, CAROL])
    approve(pw, demand_id)

    production = pw.comity.productions.produce(pw.admin, demand_id)

    assert production.status == "published"
    bag = extract_canonical(Path(production.path), tmp_path / "x")
    released = list(read_records(bag))
    by_account: dict[str, list[bytes]] = {}
    for region, record in released:
        assert region == "eu-ie"
        if record.category is Category.CONTENT:
            by_account.setdefault(record.account_id, []).append(record.body)
    # Every produced message is what the server serves, byte for byte; the one after the
    # period is not produced.
    served_alice = server.bodies(ALICE)
    assert sorted(by_account[ACCOUNTS[ALICE]]) == sorted(served_alice[:3])
    assert sorted(by_account[ACCOUNTS[BOB]]) == sorted(server.bodies(BOB))
    assert ACCOUNTS[CAROL] not in by_account
    structured = sorted(
        (r.account_id, r.category.value, r.id, r.fields().get("full_name") or r.fields()["ip"])
        for _, r in released
        if r.category is not Category.CONTENT
    )
    assert structured == [
        ("acct-0101", "subscriber", "records:subscriber:cust-2", "Alice A"),
        ("acct-0103", "subscriber", "records:subscriber:cust-1", "Carol Customer"),
        ("acct-0103", "traffic", "records:traffic:login-1", "192.0.2.10"),
        ("acct-0103", "traffic", "records:traffic:login-2", "192.0.2.11"),
    ]
    # Read-only: no message's flags changed (\\Seen stays unset on the unread ones).
    assert {u: server.flags(u) for u in (ALICE, BOB)} == flags_before


def _actions(pw: ProductionWorld) -> list[str]:
    from comity.adapters.controlplane.tables import AuditEntryRow  # noqa: PLC0415

    with pw.comity.uow() as uow:
        return [r.action for r in uow.session.query(AuditEntryRow).order_by(AuditEntryRow.idx)]


def test_a_hold_snapshots_the_mailbox_so_a_later_deletion_is_still_produced(
    tmp_path: Path, server: Dovecot
) -> None:
    for n in range(1, 6):  # UIDs 1-5
        deliver(server, ALICE, n, JUNE + timedelta(days=n))
    pw = build_with_sources(tmp_path / "dep", server, None)
    demand_id = submit_for(pw, [ALICE])
    approve(pw, demand_id)
    server.expunge(ALICE, 2)  # deleted before the hold: lost
    case_holds.place_hold(
        pw.comity.intake_uow,
        pw.clock,
        pw.comity.region_holds,
        pw.admin,
        "case-1",
        account=ACCOUNTS[ALICE],
        categories=(Category.CONTENT,),
        region="eu-ie",
        basis="us.2703f",
    )
    assert "custody:snapshot" in _actions(pw)
    served = {b.split(b"Subject: message ")[1][:1]: b for b in server.bodies(ALICE)}
    server.expunge(ALICE, 4)  # deleted after the hold: produced from the snapshot

    production = pw.comity.productions.produce(pw.admin, demand_id)

    bag = extract_canonical(Path(production.path), tmp_path / "x")
    content = {
        r.id.rsplit(":", 1)[1]: r for _, r in read_records(bag) if r.category is Category.CONTENT
    }
    assert sorted(content) == ["1", "3", "4", "5"]
    assert content["4"].body == served[b"4"]
    assert content["4"].warning is not None
    assert "preservation snapshot" in content["4"].warning
    assert content["3"].warning is not None
    assert ":2 before this one were no longer at the source" in content["3"].warning
    assert content["1"].warning is None
    assert content["5"].warning is None
