"""A region's durable parts on its side (ADR 0012): admitted only after every check, run once,
idempotent, retried for what may pass and failed at once for a refusal, fetched only when done
and only after the checks once more, swept when their authorization expires. The ledger is the
real table in a real PostgreSQL database."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.conftest import FixedClock
from tests.integration.test_region_agent import _issue, _make_enterprise
from tests.production_support import ProductionWorld, approve, build, submit

from comity.adapters.agent.part_file import SealedPartFiles
from comity.adapters.agent.part_ledger import SqlPartLedger
from comity.adapters.controlplane.db import make_engine
from comity.adapters.signing.authorizations import sign_authorization
from comity.domain.authorization import SignedAuthorization
from comity.domain.records import Record
from comity.errors import Conflict, Forbidden, IntegrityError, NotFound
from comity.services.productions.parts import RegionPartService


class FlakyFiles(SealedPartFiles):
    """Sealed part files whose first ``failures`` writes fail as a full disk would."""

    failures = 0

    def write(self, authorization_id: str, records: Iterable[Record]) -> tuple[int, int]:
        if self.failures:
            self.failures -= 1
            raise OSError("No space left on device")
        return super().write(authorization_id, records)


@pytest.fixture
def world(tmp_path: Path) -> tuple[ProductionWorld, SignedAuthorization]:
    pw = build(tmp_path / "dep", FixedClock(datetime.now(UTC).replace(microsecond=0)))
    demand_id = submit(pw)
    approve(pw, demand_id)
    return pw, _issue(pw, demand_id)


def _service(
    pw: ProductionWorld, pg_url: str, tmp_path: Path, max_attempts: int = 3
) -> tuple[RegionPartService, FlakyFiles, SqlPartLedger]:
    ledger = SqlPartLedger("eu-ie", make_engine(pg_url))
    ledger.ensure_schema()
    files = FlakyFiles("eu-ie", tmp_path / "parts", pw.comity.region_store("eu-ie").keyring)
    agent = pw.comity.local_agent("eu-ie")
    service = RegionPartService(agent, ledger, files, pw.clock, max_attempts=max_attempts)
    return service, files, ledger


def test_a_part_is_queued_once_run_once_and_fetched_as_the_agent_releases(
    world: tuple[ProductionWorld, SignedAuthorization], pg_url: str, tmp_path: Path
) -> None:
    pw, signed = world
    service, files, _ = _service(pw, pg_url, tmp_path)
    with pytest.raises(NotFound, match="no part of authorization"):
        service.status(signed.authorization.id)
    status, new = service.admit(signed)
    assert (status.state, new) == ("queued", True)
    assert service.admit(signed) == (status, False)  # queued already: no second job
    with pytest.raises(Conflict, match="is queued, not done"):
        service.fetch(signed)

    done = service.run(signed.to_bytes().decode(), attempt=1)
    assert (done.state, done.attempts, done.records) == ("done", 1, 3)
    assert service.admit(signed) == (done, False)
    sealed = files.path(signed.authorization.id).read_bytes()
    again = service.run(signed.to_bytes().decode(), attempt=2)  # a job run twice
    assert again == done
    assert files.path(signed.authorization.id).read_bytes() == sealed  # not written again
    assert list(service.fetch(signed)) == list(pw.comity.local_agent("eu-ie").release(signed))


def test_a_refused_authorization_queues_nothing(
    world: tuple[ProductionWorld, SignedAuthorization], pg_url: str, tmp_path: Path
) -> None:
    pw, signed = world
    service, _, ledger = _service(pw, pg_url, tmp_path)
    auth = signed.authorization
    us_only = dataclasses.replace(auth, grants=auth.grants_for("us-west"))
    with pytest.raises(IntegrityError, match="does not cover region eu-ie"):
        service.admit(sign_authorization(us_only, pw.comity.control_plane_key))
    assert ledger.get(auth.id) is None


def test_a_passing_failure_is_retried_until_the_last_attempt_then_a_retry_queues_it_again(
    world: tuple[ProductionWorld, SignedAuthorization], pg_url: str, tmp_path: Path
) -> None:
    pw, signed = world
    service, files, _ = _service(pw, pg_url, tmp_path, max_attempts=2)
    files.failures = 2
    service.admit(signed)
    body = signed.to_bytes().decode()
    with pytest.raises(OSError, match="No space"):
        service.run(body, attempt=1)
    retrying = service.status(signed.authorization.id)
    assert (retrying.state, retrying.attempts) == ("retrying", 1)
    assert retrying.reason == "OSError: No space left on device"
    with pytest.raises(OSError, match="No space"):
        service.run(body, attempt=2)
    assert service.status(signed.authorization.id).state == "failed"
    status, new = service.admit(signed)  # the control plane's retry
    assert (status.state, new) == ("queued", True)
    assert service.run(body, attempt=1).state == "done"


def test_a_law_change_fails_the_part_at_once_and_stops_a_fetch(
    world: tuple[ProductionWorld, SignedAuthorization], pg_url: str, tmp_path: Path
) -> None:
    pw, signed = world
    service, _, _ = _service(pw, pg_url, tmp_path, max_attempts=5)
    service.admit(signed)
    service.run(signed.to_bytes().decode(), attempt=1)
    _make_enterprise(pw)
    with pytest.raises(Forbidden, match="disclose at approval, redirect_entity now"):
        service.fetch(signed)

    other, _, other_ledger = _service(pw, pg_url, tmp_path / "other")
    fresh = sign_authorization(
        dataclasses.replace(signed.authorization, id="auth-other"), pw.comity.control_plane_key
    )
    queued = service.status(signed.authorization.id)
    other_ledger.put(  # queued before the law changed
        dataclasses.replace(queued, authorization_id="auth-other", state="queued")
    )
    with pytest.raises(Forbidden):
        other.run(fresh.to_bytes().decode(), attempt=1)
    failed = other.status("auth-other")
    assert (failed.state, failed.attempts) == ("failed", 1)
    assert "redirect_entity now" in (failed.reason or "")


def test_parts_of_expired_authorizations_are_swept(
    world: tuple[ProductionWorld, SignedAuthorization], pg_url: str, tmp_path: Path
) -> None:
    pw, signed = world
    service, files, ledger = _service(pw, pg_url, tmp_path)
    service.admit(signed)
    service.run(signed.to_bytes().decode(), attempt=1)
    assert service.sweep(signed.authorization.expires_at - timedelta(seconds=1)) == []
    assert service.sweep(signed.authorization.expires_at) == [signed.authorization.id]
    assert not files.exists(signed.authorization.id)
    assert ledger.get(signed.authorization.id) is None
