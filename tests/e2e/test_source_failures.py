"""A source that fails during a production: one clear error, the production left retryable
(``failed``, with its reason, for a retry), and no package published."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from tests.dovecot_support import CuttingProxy, Dovecot, running_dovecot
from tests.production_support import ProductionWorld, approve
from tests.source_support import (
    ACCOUNTS,
    ALICE,
    CAROL,
    JUNE,
    build_with_sources,
    deliver,
    records_database,
    submit_for,
)

from comity.bootstrap import open_deployment
from comity.domain.categories import Category
from comity.services.cases import holds as case_holds
from comity.services.custody.source_ports import SourceUnavailable


@pytest.fixture
def server() -> Iterator[Dovecot]:
    with running_dovecot() as dovecot:
        for user in (ALICE, CAROL):
            dovecot.add_user(user)
        yield dovecot


def _only_production(pw: ProductionWorld, demand_id: str) -> tuple[str, Path]:
    with pw.comity.production_uow() as uow:
        (production,) = uow.productions.for_demand(demand_id)
    return production.status, Path(production.path)


def test_a_wrong_master_password_fails_clearly_and_a_rerun_after_the_fix_publishes(
    tmp_path: Path, server: Dovecot
) -> None:
    deliver(server, ALICE, 1, JUNE)
    pw = build_with_sources(tmp_path / "dep", server, None)
    secret = pw.comity.home / "secrets" / "eu-ie-imap"
    right = secret.read_text()
    secret.write_text("not-the-password\n")
    demand_id = submit_for(pw, [ALICE])
    approve(pw, demand_id)

    with pytest.raises(SourceUnavailable, match="refused master user 'comity'") as err:
        pw.comity.productions.produce(pw.admin, demand_id)

    assert "check the master password file" in err.value.message
    status, path = _only_production(pw, demand_id)
    assert status == "failed"
    assert not path.exists()
    secret.write_text(right)
    with pw.comity.production_uow() as uow:
        (failed,) = uow.productions.for_demand(demand_id)
    production = pw.comity.productions.retry(pw.admin, failed.id)
    assert production.status == "published"
    assert production.record_count == 1


def test_a_server_that_goes_away_mid_stream_leaves_no_package(
    tmp_path: Path, server: Dovecot
) -> None:
    for n in range(40):
        deliver(server, ALICE, n, JUNE + timedelta(hours=n))
    proxy = CuttingProxy(server.port, limit=6000)  # the greeting, login, and a few messages
    try:
        pw = build_with_sources(tmp_path / "dep", server, None)
        toml = pw.comity.home / "comity.toml"
        toml.write_text(toml.read_text().replace(server.url, f"imap://127.0.0.1:{proxy.port}"))
        pw.comity = open_deployment(pw.comity.home, pw.clock)
        demand_id = submit_for(pw, [ALICE])
        approve(pw, demand_id)

        with pytest.raises(SourceUnavailable, match=r"failed while reading alice@example\.com"):
            pw.comity.productions.produce(pw.admin, demand_id)
    finally:
        proxy.close()

    status, path = _only_production(pw, demand_id)
    assert status == "failed"
    assert not path.exists()
    assert not any(p.suffix == ".tar" for p in path.parent.iterdir())


def test_a_query_returning_a_malformed_row_names_the_query_and_the_row(
    tmp_path: Path, server: Dovecot, pg_url: str
) -> None:
    url = records_database(pg_url)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE customers SET created_at = NULL WHERE email = %s", (CAROL,))
    pw = build_with_sources(tmp_path / "dep", server, url)
    demand_id = submit_for(pw, [CAROL])
    approve(pw, demand_id)

    with pytest.raises(SourceUnavailable) as err:
        pw.comity.productions.produce(pw.admin, demand_id)

    assert err.value.message == (
        "source records: query 'subscriber' row 1 (id cust-1): occurred_at must be a timestamp "
        "with time zone, got None"
    )
    status, path = _only_production(pw, demand_id)
    assert status == "failed"
    assert not path.exists()


def test_a_hold_whose_snapshot_cannot_be_taken_is_refused_and_nothing_is_placed(
    tmp_path: Path, server: Dovecot
) -> None:
    deliver(server, ALICE, 1, JUNE)
    pw = build_with_sources(tmp_path / "dep", server, None)
    demand_id = submit_for(pw, [ALICE])
    approve(pw, demand_id)
    (pw.comity.home / "secrets" / "eu-ie-imap").write_text("not-the-password\n")

    with pytest.raises(SourceUnavailable, match="refused master user 'comity'"):
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

    with pw.comity.intake_uow() as uow:
        case = uow.cases.get("case-1")
    assert case is not None
    assert case.holds == ()
    assert pw.comity.region_store("eu-ie").store.holds(ACCOUNTS[ALICE]) == []
    assert pw.comity.region_store("eu-ie").store.count(ACCOUNTS[ALICE]) == 0
