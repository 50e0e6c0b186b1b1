"""GET routes answer while another writer holds the SQLite control plane's write lock.

A SQLite control plane lets one writer in at a time (``BEGIN IMMEDIATE``, 30 s busy timeout).
A GET that opened a write unit of work queued behind every writer, delayed them in turn, and a
bad download token could fail with "database is locked" (a 5xx) instead of its 404. Reads go
through read-only units of work (a deferred ``BEGIN`` on a WAL snapshot); only a real download
takes the write lock, to go on the audit log. Each test holds the lock from another connection,
as another process (the CLI, a second worker) would, and checks the answer comes before the
busy timeout, with its usual status and sentence, and that the held writer loses nothing.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.etsi_support import jws_sign, request_message
from tests.intake_support import FakeAssessor
from tests.portal_support import deliver_demo_warrant
from tests.production_support import TARGET, ProductionWorld, approve, build, submit
from tests.web_support import sign_in_client, web_deployment

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.adapters.etsi import codec
from comity.entrypoints.api.app import create_app
from comity.services.etsi.message import Element

#: Far below the 30 s busy timeout a waiting writer would spend before "database is locked".
PROMPT = 5.0


@pytest.fixture
def pw(tmp_path: Path) -> ProductionWorld:
    return build(tmp_path / "dep")


@pytest.fixture
def api(pw: ProductionWorld) -> Iterator[TestClient]:
    with TestClient(create_app(pw.comity)) as client:
        yield client


@contextmanager
def writer_holding_the_lock(home: Path) -> Iterator[sqlite3.Connection]:
    """Another connection inside ``BEGIN IMMEDIATE`` on the control database, with work of its
    own under way (a table and a row); committed when the block ends."""
    conn = sqlite3.connect(home / "control.db", timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE held_writer_work (n INTEGER NOT NULL)")
        conn.execute("INSERT INTO held_writer_work VALUES (42)")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def _held_work_is_intact(home: Path) -> None:
    with sqlite3.connect(home / "control.db") as conn:
        assert conn.execute("SELECT n FROM held_writer_work").fetchall() == [(42,)]


def _timed_get(api: TestClient, url: str, **kwargs: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = api.get(url, **kwargs)
    return response, time.monotonic() - started


def _external_identifier(node: Element) -> str | None:
    """The first ExternalIdentifier in a message: the demand id Comity gave the request."""
    if node.local == "HI1Object" and node.text_at("ExternalIdentifier"):
        return node.text_at("ExternalIdentifier")
    return next(filter(None, (_external_identifier(c) for c in node.children)), None)


def _downloads(pw: ProductionWorld) -> int:
    with pw.comity.read_only() as uow:
        return (
            uow.session.query(AuditEntryRow)
            .filter(AuditEntryRow.action == "production:downloaded")
            .count()
        )


def test_a_bad_download_token_answers_404_at_once_while_a_writer_holds_the_lock(
    pw: ProductionWorld, api: TestClient
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    production = pw.comity.productions.produce(pw.admin, demand_id)
    link = api.post(f"/productions/{production.id}/links", headers=pw.auth("dl")).json()
    frdl_link = link["url"]  # another agency's holder: the same 404 as an unknown token

    with writer_holding_the_lock(pw.comity.home):
        unknown, took = _timed_get(api, "/downloads/dl_nonsense", headers=pw.auth("dl"))
        assert unknown.status_code == 404, unknown.text
        assert unknown.json()["error"]["message"] == "no download link with this token"
        assert took < PROMPT
        other, took = _timed_get(api, frdl_link, headers=pw.auth("frdl"))
        assert other.status_code == 404, other.text
        assert took < PROMPT
        refused, took = _timed_get(api, link["url"], headers=pw.auth("jdoe"))
        assert refused.status_code == 403, refused.text
        assert "may_download" in refused.json()["error"]["message"]
        assert took < PROMPT
    _held_work_is_intact(pw.comity.home)
    assert _downloads(pw) == 0

    got = api.get(link["url"], headers=pw.auth("dl"))
    assert got.status_code == 200, got.text
    assert got.content == Path(production.path).read_bytes()
    assert _downloads(pw) == 1


def test_an_expired_link_answers_410_at_once_while_a_writer_holds_the_lock(
    pw: ProductionWorld, api: TestClient
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    production = pw.comity.productions.produce(pw.admin, demand_id)
    link = api.post(f"/productions/{production.id}/links", headers=pw.auth("dl")).json()
    pw.clock.current += timedelta(minutes=15)
    with writer_holding_the_lock(pw.comity.home):
        gone, took = _timed_get(api, link["url"], headers=pw.auth("dl"))
        assert gone.status_code == 410, gone.text
        assert "expired" in gone.json()["error"]["message"]
        assert took < PROMPT
    _held_work_is_intact(pw.comity.home)
    assert _downloads(pw) == 0


def test_productions_are_read_while_a_writer_holds_the_lock(
    pw: ProductionWorld, api: TestClient
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    production = pw.comity.productions.produce(pw.admin, demand_id)
    with writer_holding_the_lock(pw.comity.home):
        listed, took = _timed_get(api, f"/demands/{demand_id}/productions", headers=pw.auth("dl"))
        assert listed.status_code == 200, listed.text
        assert [p["id"] for p in listed.json()["items"]] == [production.id]
        assert took < PROMPT
        one, took = _timed_get(api, f"/productions/{production.id}", headers=pw.auth("dl"))
        assert one.status_code == 200, one.text
        assert one.json()["id"] == production.id
        assert took < PROMPT
        hidden, took = _timed_get(api, f"/productions/{production.id}", headers=pw.auth("frdl"))
        assert hidden.status_code == 404, hidden.text
        assert took < PROMPT
    _held_work_is_intact(pw.comity.home)


def test_an_account_lookup_is_read_while_a_writer_holds_the_lock(
    pw: ProductionWorld, api: TestClient
) -> None:
    with writer_holding_the_lock(pw.comity.home):
        found, took = _timed_get(
            api,
            "/accounts/lookup",
            params={"type": "email", "value": TARGET},
            headers=pw.auth("admin"),
        )
        assert found.status_code == 200, found.text
        assert found.json()["id"] == "acct-0001"
        assert took < PROMPT
    _held_work_is_intact(pw.comity.home)


def test_an_hi1_status_is_read_while_a_writer_holds_the_lock(
    pw: ProductionWorld, api: TestClient
) -> None:
    body = json.dumps(jws_sign(request_message(), pw.world.dea_key, "dea-2026")).encode()
    filed = api.post(
        "/hi1", content=body, headers={**pw.auth("jsmith"), "Content-Type": "application/json"}
    )
    assert filed.status_code == 201, filed.text
    demand_id = _external_identifier(codec.parse(filed.content).root)
    with writer_holding_the_lock(pw.comity.home):
        status, took = _timed_get(
            api, f"/hi1/demands/{demand_id}/status?format=json", headers=pw.auth("jsmith")
        )
        assert status.status_code == 200, status.text
        assert b"NotificationObject" in status.content
        assert took < PROMPT
    _held_work_is_intact(pw.comity.home)


def test_the_console_proof_page_of_a_production_entry_is_read_while_a_writer_holds_the_lock(
    tmp_path: Path,
) -> None:
    web = web_deployment(tmp_path / "web")
    production = deliver_demo_warrant(web)
    with web.comity.read_only() as uow:
        index = (
            uow.session.query(AuditEntryRow.idx)
            .filter(AuditEntryRow.subject == f"production/{production.id}")
            .order_by(AuditEntryRow.idx)
            .limit(1)
            .scalar()
        )
    assert index is not None
    with TestClient(create_app(web.comity, assessor=FakeAssessor())) as client:
        sign_in_client(client, web, "rita")
        with writer_holding_the_lock(web.comity.home):
            page, took = _timed_get(client, f"/console/audit/{index}")
            assert page.status_code == 200, page.text
            assert f"/console/demands/{web.warrant_id}" in page.text
            assert took < PROMPT
    _held_work_is_intact(web.comity.home)
