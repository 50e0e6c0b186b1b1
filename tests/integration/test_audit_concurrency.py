"""Two processes appending at once keep one order and a valid, fully signed tree."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from comity.adapters.audit.verify import verify_log
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.bootstrap import DEFAULT_TOML, Comity, initialise, open_deployment
from comity.domain.audit import AuditAction, AuditEvent

PER_WORKER = 25


def _append(home: str, worker: int, start: multiprocessing.synchronize.Event) -> None:
    comity = open_deployment(Path(home))
    start.wait(30)
    for k in range(PER_WORKER):
        with comity.uow() as uow:
            uow.audit.record(
                AuditEvent.of(
                    datetime(2026, 11, 23, tzinfo=UTC),
                    f"w{worker}",
                    AuditAction.ACCOUNT_CREATED,
                    f"w{worker}/{k}",
                    k,
                )
            )
            uow.commit()


def _race(comity: Comity) -> None:
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    procs = [ctx.Process(target=_append, args=(str(comity.home), w, start)) for w in (1, 2)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    signer = comity.audit_signer
    assert signer is not None
    with comity.uow() as uow:
        report = verify_log(uow.session, signer.verifier_key)
        subjects = list(uow.session.scalars(select(AuditEntryRow.subject).order_by("idx")))
    assert report.entries == 2 * PER_WORKER
    assert report.checkpoints == 2 * PER_WORKER  # one signed head per commit, none lost
    for w in (1, 2):
        mine = [s for s in subjects if s.startswith(f"w{w}/")]
        assert mine == [f"w{w}/{k}" for k in range(PER_WORKER)]


def test_two_processes_append_to_sqlite(tmp_path: Path) -> None:
    initialise(tmp_path, demo=False)
    _race(open_deployment(tmp_path))


def test_two_processes_append_to_postgresql(tmp_path: Path, pg_url: str) -> None:
    toml = DEFAULT_TOML.replace('database = "sqlite:///control.db"', f'database = "{pg_url}"')
    assert pg_url in toml
    (tmp_path / "comity.toml").write_text(toml, encoding="utf-8")
    comity = open_deployment(tmp_path)
    comity.ensure_audit_key()
    comity.migrate()
    _race(open_deployment(tmp_path))


@pytest.fixture(autouse=True)
def _no_leaked_children() -> None:
    assert not multiprocessing.active_children()
