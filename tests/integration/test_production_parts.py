"""The control plane's side of durable parts (ADR 0012): it queues a region's part with the
region, waits while the part runs or the region cannot be reached, fails the production with the
region's reason when the part fails, queues it again on retry, and assembles the same package as
the in-process path. The region side is the real part service (sealed files, the ledger on a
real PostgreSQL database); only its worker is run by hand, one scripted step per status look."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.conftest import FixedClock
from tests.integration.test_region_parts import FlakyFiles
from tests.production_support import ProductionWorld, approve, build, submit

from comity.adapters.agent.part_ledger import SqlPartLedger
from comity.adapters.controlplane.db import make_engine
from comity.adapters.package.verify import verify_package
from comity.domain.authorization import SignedAuthorization
from comity.domain.demand_schema import parse_demand
from comity.errors import ConfigurationError, IntegrityError
from comity.law.countries import known_countries
from comity.services.productions.parts import RegionPartService
from comity.services.productions.parts_ports import PartStatus
from comity.services.productions.produce import ProductionService, package_facts


class ScriptedRegion:
    """``RegionParts`` of eu-ie over its real part service; each status look first plays the
    next step: ``wait`` (the job not picked yet), ``unreachable`` (the agent's host lost) or
    ``run`` (the worker runs the job once)."""

    region_id = "eu-ie"

    def __init__(self, service: RegionPartService, steps: list[str]) -> None:
        self.service = service
        self.steps = steps
        self.pending: str | None = None
        self.attempts = 0
        self.submits = 0

    def submit(self, signed: SignedAuthorization) -> PartStatus | None:
        self.submits += 1
        status, new = self.service.admit(signed)
        if new:
            self.pending = signed.to_bytes().decode()
        return status

    def status(self, authorization_id: str) -> PartStatus:
        step = self.steps.pop(0) if self.steps else "run"
        if step == "unreachable":
            raise ConfigurationError("the agent of region eu-ie at http://eu-ie cannot be reached")
        if step == "run" and self.pending is not None:
            job, self.pending = self.pending, None
            self.attempts += 1
            with contextlib.suppress(OSError):  # the status says it, as the queue would
                self.service.run(job, attempt=self.attempts)
        return self.service.status(authorization_id)

    def records(self, signed: SignedAuthorization) -> list:  # type: ignore[type-arg]
        return list(self.service.fetch(signed))


@pytest.fixture
def pw(tmp_path: Path) -> ProductionWorld:
    world = build(tmp_path / "dep", FixedClock(datetime.now(UTC).replace(microsecond=0)))
    approve(world, submit(world))
    return world


def _region(
    pw: ProductionWorld, pg_url: str, tmp_path: Path, steps: list[str]
) -> tuple[ScriptedRegion, FlakyFiles]:
    ledger = SqlPartLedger("eu-ie", make_engine(pg_url))
    ledger.ensure_schema()
    files = FlakyFiles("eu-ie", tmp_path / "parts", pw.comity.region_store("eu-ie").keyring)
    service = RegionPartService(
        pw.comity.local_agent("eu-ie"), ledger, files, pw.clock, max_attempts=1
    )
    return ScriptedRegion(service, steps), files


def _service(
    pw: ProductionWorld,
    region: ScriptedRegion,
    seen: list[list[PartStatus]],
    slept: list[float] | None = None,
) -> ProductionService:
    return dataclasses.replace(
        pw.comity.productions,
        parts=lambda r: region if r == "eu-ie" else None,  # us-west read in one stream
        sleep=(slept if slept is not None else []).append,
        on_parts=seen.append,
    )


def test_the_control_plane_waits_for_a_part_then_assembles_the_in_process_package(
    pw: ProductionWorld, pg_url: str, tmp_path: Path
) -> None:
    region, _ = _region(pw, pg_url, tmp_path, ["wait", "unreachable", "run"])
    seen: list[list[PartStatus]] = []
    service = _service(pw, region, seen)
    done = service.produce(pw.admin, "case-1")
    assert done.status == "published"
    assert [[s.state for s in look] for look in seen] == [["queued"], ["unreachable"], ["done"]]
    assert seen[1][0].reason == "the agent of region eu-ie at http://eu-ie cannot be reached"
    assert verify_package(Path(done.path)).record_count == 5

    signed = SignedAuthorization.from_bytes(done.authorization.encode())
    with pw.comity.intake_uow() as uow:
        record = uow.intake.get_demand(done.demand_id)
    assert record is not None
    demand, _ = parse_demand(record.document, known_countries=known_countries())
    assert demand is not None
    facts = package_facts(demand, done, pw.comity.deployment.provider.name)
    twin = pw.comity.productions.writer.write(
        tmp_path / "twin.tar",
        signed,
        facts,
        [(r, pw.comity.local_agent(r).release(signed)) for r in signed.authorization.regions],
    )
    assert twin.sha256 == done.sha256
    assert twin.path.read_bytes() == Path(done.path).read_bytes()


def test_the_looks_at_a_running_part_start_soon_and_slow_down_to_the_ceiling(
    pw: ProductionWorld, pg_url: str, tmp_path: Path
) -> None:
    """A part done in a moment is seen in a moment (not after a whole poll period: that made a
    small production over two agents several times slower than in-process, bench/regions.py),
    and a part that keeps running is asked at most once per ``part_poll``."""
    region, _ = _region(pw, pg_url, tmp_path, ["wait"] * 7 + ["run"])
    seen: list[list[PartStatus]] = []
    slept: list[float] = []
    service = _service(pw, region, seen, slept)
    assert service.produce(pw.admin, "case-1").status == "published"
    assert [look[0].state for look in seen] == ["queued"] * 7 + ["done"]
    assert slept == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5, 0.5]


def test_a_failed_part_fails_the_production_and_a_retry_queues_it_again(
    pw: ProductionWorld, pg_url: str, tmp_path: Path
) -> None:
    region, files = _region(pw, pg_url, tmp_path, ["run"])
    files.failures = 1
    service = _service(pw, region, [])
    with pytest.raises(IntegrityError) as refused:
        service.produce(pw.admin, "case-1")
    reason = "region eu-ie's part failed after 1 attempt(s): OSError: No space left on device"
    assert refused.value.message == reason
    (failed,) = service.list_productions(pw.admin, _demand_of(pw))
    assert (failed.status, failed.reason) == ("failed", reason)

    published = service.retry(pw.admin, failed.id)
    assert published.status == "published"
    assert (published.id, published.authorization) == (failed.id, failed.authorization)
    assert region.submits == 2  # queued once, and again by the retry
    assert region.attempts == 2


def _demand_of(pw: ProductionWorld) -> str:
    with pw.comity.production_uow() as uow:
        case = uow.cases.get("case-1")
        assert case is not None
        demand_id = uow.cases.demand_of(case.case_id)
    assert demand_id is not None
    return demand_id
