"""``verify`` passes on an honest log and names the first bad index for each kind of tampering.

One log of per-commit entries is built once; each Hypothesis example tampers with it inside a
transaction, runs the verifier on that transaction's view, and rolls back.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from tests.integration.test_audit_log import append_each, event

from comity.adapters.audit.verify import Tampered, verify_log
from comity.adapters.controlplane.audit_tables import AuditCheckpointRow
from comity.adapters.controlplane.tables import AuditEntryRow, AuditTreeStateRow
from comity.bootstrap import Comity, initialise, open_deployment
from comity.domain.merkle import CompactRange, leaf_hash
from comity.domain.note import VerifierKey

N = 24


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Comity, VerifierKey, str]:
    home: Path = tmp_path_factory.mktemp("audit")
    initialise(home, demo=False)
    comity = open_deployment(home)
    append_each(comity, 0, N)
    signer = comity.audit_signer
    assert signer is not None
    with comity.uow() as uow:
        latest = uow.audit.latest_checkpoint()
        assert latest is not None
        assert latest.size == N
        saved = latest.note
    return comity, signer.verifier_key, saved


def rows(session: Session, start: int) -> list[AuditEntryRow]:
    return list(
        session.scalars(select(AuditEntryRow).where(AuditEntryRow.idx >= start).order_by("idx"))
    )


def change(session: Session, i: int, rehash: bool) -> None:
    text = event(1000 + i).canonical().decode()
    values: dict[str, object] = {"entry": text}
    if rehash:
        values["leaf_hash"] = leaf_hash(text.encode())
    session.execute(update(AuditEntryRow).where(AuditEntryRow.idx == i).values(**values))


def drop(session: Session, i: int, renumber: bool) -> None:
    later = [(r.idx, r.entry, r.leaf_hash, r.action, r.subject) for r in rows(session, i + 1)]
    session.execute(delete(AuditEntryRow).where(AuditEntryRow.idx >= i))
    session.flush()
    for idx, entry, leaf, action, subject in later:
        new = idx - 1 if renumber else idx
        session.add(
            AuditEntryRow(idx=new, entry=entry, leaf_hash=leaf, action=action, subject=subject)
        )
    session.flush()


def swap(session: Session, i: int, j: int) -> None:
    a, b = session.get(AuditEntryRow, i), session.get(AuditEntryRow, j)
    assert a is not None
    assert b is not None
    a_vals = (a.entry, a.leaf_hash, a.action, a.subject)
    a.entry, a.leaf_hash, a.action, a.subject = b.entry, b.leaf_hash, b.action, b.subject
    b.entry, b.leaf_hash, b.action, b.subject = a_vals
    session.flush()


def truncate(session: Session, i: int) -> None:
    """Remove entries i.. and cover the tracks: their checkpoints and the tree state too."""
    kept = [
        r.leaf_hash
        for r in session.scalars(select(AuditEntryRow).where(AuditEntryRow.idx < i).order_by("idx"))
    ]
    session.execute(delete(AuditEntryRow).where(AuditEntryRow.idx >= i))
    session.execute(delete(AuditCheckpointRow).where(AuditCheckpointRow.size > i))
    tree = CompactRange.empty()
    for leaf in kept:
        tree = tree.append(leaf)
    session.execute(
        update(AuditTreeStateRow).values(size=tree.size, frontier=b"".join(tree.frontier))
    )
    session.flush()


def test_an_honest_log_verifies_including_against_a_saved_checkpoint(log) -> None:  # type: ignore[no-untyped-def]
    comity, key, saved = log
    with comity.uow() as uow:
        report = verify_log(uow.session, key, saved)
    assert (report.entries, report.checkpoints) == (N, N)


KINDS = ["change", "change+rehash", "drop", "drop+renumber", "swap", "truncate"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kind=st.sampled_from(KINDS), i=st.integers(0, N - 2), gap=st.integers(1, N - 1))
def test_each_kind_of_tampering_fails_naming_the_first_bad_index(
    log, kind: str, i: int, gap: int
) -> None:  # type: ignore[no-untyped-def]
    comity, key, saved = log
    with comity.uow() as uow:
        s = uow.session
        if kind.startswith("change"):
            change(s, i, rehash=kind.endswith("rehash"))
        elif kind.startswith("drop"):
            drop(s, i, renumber=kind.endswith("renumber"))
        elif kind == "swap":
            swap(s, i, min(i + gap, N - 1))
        else:
            truncate(s, i)
        with pytest.raises(Tampered) as failure:
            verify_log(s, key, saved)
        uow.rollback()
    assert failure.value.index == i, failure.value.message
    assert str(i) in failure.value.message


def test_tampering_within_a_batch_names_the_batch_start(tmp_path: Path) -> None:
    initialise(tmp_path, demo=False)
    comity = open_deployment(tmp_path)
    append_each(comity, 0, 3)
    with comity.uow() as uow:
        uow.audit.record_many(event(i) for i in range(3, 9))
        uow.commit()
    signer = comity.audit_signer
    assert signer is not None
    with comity.uow() as uow:
        change(uow.session, 6, rehash=True)
        with pytest.raises(Tampered) as failure:
            verify_log(uow.session, signer.verifier_key)
    assert failure.value.index == 3
    assert "entries 3 to 8" in failure.value.message
