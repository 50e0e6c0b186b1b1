"""Issue 14: one production per case at a time, across real processes; a failed production is a
visible state with its reason and a retry; no plaintext outlives a production."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.production_support import ProductionWorld, approve, build, submit

from comity.adapters.controlplane.production_tables import ProductionClaimRow
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.adapters.package.verify import verify_package
from comity.adapters.package.writer import staging_dir
from comity.adapters.signing.ed25519 import PublicKey
from comity.bootstrap import initialise, open_deployment
from comity.domain.workflow import CaseState
from comity.entrypoints.api.app import create_app
from comity.errors import Conflict, IntegrityError
from comity.services.productions.ports import ProductionClaim

ROOT = Path(__file__).resolve().parents[2]

#: A producer that stops after its first record until ``gate`` exists: a production caught
#: mid-write in its own process.
PAUSED = """
import sys, time
from pathlib import Path
from comity.bootstrap import open_deployment
from comity.services import identity

home, gate, ident = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
comity = open_deployment(home)
admin = next(u for u in identity.list_users(comity.intake_uow) if u.id == "admin")

def hold(region, records, size):
    if records == 1:
        print("writing", flush=True)
        while not gate.exists():
            time.sleep(0.05)

done = comity.productions.produce(admin, ident, progress=hold)
print("published", done.id, flush=True)
"""


@pytest.fixture
def pw(tmp_path: Path) -> ProductionWorld:
    return build(tmp_path / "dep")


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}


def _cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "comity.entrypoints.cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )


def _paused(pw: ProductionWorld, gate: Path, ident: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", PAUSED, str(pw.comity.home), str(gate), ident],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=ROOT,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == "writing", child.stderr.read() if child.stderr else ""
    return child


def _rows(pw: ProductionWorld, demand_id: str) -> list[tuple[str, str]]:
    with pw.comity.production_uow() as uow:
        return [(p.id, p.status) for p in uow.productions.for_demand(demand_id)]


def _actions(pw: ProductionWorld) -> list[str]:
    with pw.comity.uow() as uow:
        return [r.action for r in uow.session.query(AuditEntryRow).order_by(AuditEntryRow.idx)]


def _no_plaintext_left(directory: Path) -> None:
    leftovers = [p.name for p in directory.iterdir() if p.name.endswith(".incomplete")]
    assert leftovers == []


def test_a_second_process_refuses_naming_the_running_production_then_waits_for_it(
    pw: ProductionWorld, tmp_path: Path
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    gate = tmp_path / "go"
    first = _paused(pw, gate, demand_id)
    try:
        ((running, status),) = _rows(pw, demand_id)
        assert status == "producing"
        home = str(pw.comity.home)
        second = _cli("--dir", home, "produce", demand_id, "--by", "admin")
        _, err = second.communicate(timeout=60)
        assert second.returncode == 1
        assert f"another production of case case-1 is running: {running}" in err
        assert "--wait" in err
        # A third waits: it gets the claim once the first has published, and finds the case
        # delivered; the published package stays.
        third = _cli("--dir", home, "produce", demand_id, "--by", "admin", "--wait", "60")
        time.sleep(1.5)
        assert third.poll() is None  # still waiting
        gate.touch()
        out, err = first.communicate(timeout=60)
        assert first.returncode == 0, err
        assert f"published {running}" in out
        _, err = third.communicate(timeout=60)
        assert third.returncode == 1
        assert "already produced and delivered" in err
    finally:
        gate.touch()
        first.kill()
        first.wait()
    assert _rows(pw, demand_id) == [(running, "published")]
    with pw.comity.production_uow() as uow:
        production = uow.productions.get(running)
        assert uow.session.query(ProductionClaimRow).count() == 0
    assert production is not None
    assert verify_package(Path(production.path)).record_count == 5
    _no_plaintext_left(Path(production.path).parent)


def test_two_produce_processes_started_together_publish_exactly_one_package(
    pw: ProductionWorld,
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    home = str(pw.comity.home)
    runs = [_cli("--dir", home, "produce", demand_id, "--by", "admin") for _ in range(2)]
    results = [(run.wait(timeout=120), run.communicate()) for run in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    (err,) = [e for code, (_, e) in results if code == 1]
    assert "is running: prd-" in err or "already produced and delivered" in err
    ((pid, status),) = _rows(pw, demand_id)
    assert status == "published"
    with pw.comity.production_uow() as uow:
        production = uow.productions.get(pid)
        case = uow.cases.for_demand(demand_id)
    assert production is not None
    assert case is not None
    assert case.state is CaseState.DELIVERED
    package = Path(production.path)
    assert verify_package(package).record_count == 5
    assert stat.S_IMODE(package.stat().st_mode) == 0o600
    _no_plaintext_left(package.parent)


def test_a_claim_left_by_a_killed_process_is_taken_over_on_the_audit_log(
    pw: ProductionWorld,
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(gone.stdout)
    host, _ = pw.comity.productions.process()
    now = pw.clock.now()
    with pw.comity.production_uow() as uow:
        stale = ProductionClaim("case-1", "x" * 32, host, dead_pid, now, now)
        assert uow.productions.claim(stale) is None
        uow.commit()
    done = pw.comity.productions.produce(pw.admin, demand_id)
    assert done.status == "published"
    assert "production:claim:taken_over" in _actions(pw)


def test_a_claim_from_another_host_holds_until_its_lease_runs_out(pw: ProductionWorld) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    service = pw.comity.productions
    now = pw.clock.now()
    other = ProductionClaim(
        "case-1", "y" * 32, "other-host.invalid", 4242, now, now, "prd-elsewhere"
    )
    with pw.comity.production_uow() as uow:
        assert uow.productions.claim(other) is None
        uow.commit()
    with pytest.raises(Conflict, match=r"is running: prd-elsewhere on other-host\.invalid"):
        service.produce(pw.admin, demand_id)
    assert _rows(pw, demand_id) == []
    pw.clock.current += service.claim_lease + timedelta(seconds=1)
    assert service.produce(pw.admin, demand_id).status == "published"


@pytest.fixture
def api(pw: ProductionWorld) -> Iterator[TestClient]:
    with TestClient(create_app(pw.comity)) as client:
        yield client


def test_a_failed_production_shows_its_reason_and_a_retry_publishes_it(
    pw: ProductionWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    service = pw.comity.productions
    writer = service.writer
    real_write = writer.write

    def disk_full(*args: object, **kwargs: object) -> object:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "write", disk_full)
    with pytest.raises(OSError, match="No space left"):
        service.produce(pw.admin, demand_id)
    ((pid, status),) = _rows(pw, demand_id)
    assert status == "failed"
    with pw.comity.production_uow() as uow:
        failed = uow.productions.get(pid)
        case = uow.cases.for_demand(demand_id)
    assert failed is not None
    assert failed.reason == "OSError: [Errno 28] No space left on device"
    assert case is not None
    assert case.state is CaseState.IN_PRODUCTION
    assert "production:failed" in _actions(pw)
    monkeypatch.setattr(writer, "write", real_write)
    done = service.retry(pw.admin, pid)
    assert (done.id, done.status, done.reason) == (pid, "published", None)
    assert "production:retried" in _actions(pw)
    with pytest.raises(Conflict, match="only a failed production can be retried"):
        service.retry(pw.admin, pid)


def test_staging_is_private_and_removed_on_failure_and_a_sweep_removes_a_crash_leftover(
    pw: ProductionWorld,
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    service = pw.comity.productions
    seen: list[int] = []

    def look(region: str, records: int, size: int) -> None:
        if not seen:
            (staging,) = [p for p in service.out_dir.iterdir() if p.name.endswith(".incomplete")]
            seen.append(stat.S_IMODE(staging.stat().st_mode))
            raise IntegrityError("the region's store returned a damaged record")

    with pytest.raises(IntegrityError):
        service.produce(pw.admin, demand_id, progress=look)
    assert seen == [0o700]
    _no_plaintext_left(service.out_dir)
    # What a SIGKILL leaves (decrypted mail in staging) is swept by the next production.
    ((pid, _),) = _rows(pw, demand_id)
    leftover = staging_dir(service.out_dir / "prd-killed.tar") / "spool"
    leftover.mkdir(parents=True)
    (leftover / "content.bin").write_bytes(b"From: someone\r\n\r\nplaintext\r\n")
    done = service.retry(pw.admin, pid)
    assert done.status == "published"
    _no_plaintext_left(service.out_dir)


def test_the_api_shows_a_failed_production_and_retries_it(
    pw: ProductionWorld, api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    service = pw.comity.productions
    with pytest.raises(IntegrityError):
        service.produce(pw.admin, demand_id, progress=_damaged)
    ((pid, _),) = _rows(pw, demand_id)
    got = api.get(f"/productions/{pid}", headers=pw.auth("admin"))
    assert got.status_code == 200, got.text
    assert got.json()["status"] == "failed"
    assert got.json()["reason"] == "the region's store returned a damaged record"
    denied = api.post(f"/productions/{pid}/retry", headers=pw.auth("jsmith"))
    assert denied.status_code in (403, 404)
    retried = api.post(f"/productions/{pid}/retry", headers=pw.auth("admin"))
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "published"
    again = api.post(f"/productions/{pid}/retry", headers=pw.auth("admin"))
    assert again.status_code == 409
    assert "only a failed production can be retried" in again.json()["error"]["message"]


def _damaged(region: str, records: int, size: int) -> None:
    raise IntegrityError("the region's store returned a damaged record")


def test_init_makes_and_prints_the_provider_and_control_plane_keys_for_publishing(
    tmp_path: Path,
) -> None:
    """Issue 14: the keys exist before the first production, so they can be published first."""
    home = tmp_path / "fresh"
    lines = initialise(home, demo=False)
    text = "\n".join(lines)
    for name in ("provider", "control-plane"):
        private = home / "keys" / f"{name}.pem"
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
        public = PublicKey.load(home / "keys" / f"{name}.pub.pem")
        assert f"id {public.key_id}" in text
        assert f"publish {home / 'keys' / f'{name}.pub.pem'}" in text
        body = public.pem().decode().splitlines()[1]
        assert f"  {body}" in lines
    comity = open_deployment(home)
    assert comity.provider_key.key_id in text
    assert comity.control_plane_key.key_id in text


def test_a_production_killed_mid_write_is_resumed_with_no_plaintext_left_and_a_valid_log(
    pw: ProductionWorld, tmp_path: Path
) -> None:
    """Issue 14, done when: SIGKILL, then a re-run, leaves exactly one published package, no
    decrypted mail on disk, and an audit log that ``comity audit verify`` accepts."""
    demand_id = submit(pw)
    approve(pw, demand_id)
    victim = _paused(pw, tmp_path / "never", demand_id)
    ((running, _),) = _rows(pw, demand_id)
    out_dir = pw.comity.home / "productions"
    assert [p for p in out_dir.iterdir() if p.name.endswith(".incomplete")]  # plaintext staged
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    home = str(pw.comity.home)
    rerun = _cli("--dir", home, "produce", demand_id, "--by", "admin")
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert f"production {running} of case case-1: published" in out
    assert _rows(pw, demand_id) == [(running, "published")]
    _no_plaintext_left(out_dir)
    assert "production:claim:taken_over" in _actions(pw)
    audit = _cli("--dir", home, "audit", "verify")
    _, err = audit.communicate(timeout=120)
    assert audit.returncode == 0, err


def test_a_run_whose_claim_was_taken_over_stops_and_leaves_the_production_to_the_other(
    pw: ProductionWorld,
) -> None:
    demand_id = submit(pw)
    approve(pw, demand_id)
    service = pw.comity.productions

    def taken_over(region: str, records: int, size: int) -> None:
        if records == 1:
            with pw.comity.production_uow() as uow:
                row = uow.session.get(ProductionClaimRow, "case-1")
                assert row is not None
                row.token = "z" * 32  # another run took the claim over
                uow.commit()
            pw.clock.current += timedelta(minutes=1)  # the next record refreshes the claim

    with pytest.raises(Conflict, match="lost its claim on case case-1"):
        service.produce(pw.admin, demand_id, progress=taken_over)
    ((_, status),) = _rows(pw, demand_id)
    assert status == "producing"  # not marked failed: the other run owns it now
    _no_plaintext_left(service.out_dir)


def test_comity_serve_removes_what_a_killed_production_left_before_it_serves(
    tmp_path: Path,
) -> None:
    """Issue 14 item 3: the sweep of plaintext leftovers runs at ``comity serve`` start too,
    not only when the next production of that directory begins."""
    from tests.log_support import comity_serve  # noqa: PLC0415

    from comity.adapters.package.writer import staging_dir  # noqa: PLC0415
    from comity.bootstrap import initialise  # noqa: PLC0415

    home = tmp_path / "dep"
    initialise(home, demo=False)
    leftover = staging_dir(home / "productions" / "prd-killed.tar") / "spool" / "content.bin"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"From: decrypted mail\r\n\r\nsecret\r\n")
    with comity_serve(home):
        assert not leftover.exists()
        assert not staging_dir(home / "productions" / "prd-killed.tar").exists()
