"""End to end: a demand for two mailboxes on the provider's Dovecot and one account in its
PostgreSQL records database is assessed, approved and produced through the region's sources."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.dovecot_support import Dovecot, running_dovecot
from tests.production_support import approve
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
