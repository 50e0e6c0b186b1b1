"""The stored audit log: proofs from the database, checkpoints per commit, same transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError

from comity.adapters.audit.signing import NoteSigner, open_checkpoint
from comity.adapters.audit.sql_log import SqlMerkleLog
from comity.adapters.audit.verify import Tampered, verify_log
from comity.adapters.controlplane.audit_tables import AuditCheckpointRow, AuditNodeRow
from comity.adapters.controlplane.tables import AccountRow, AuditEntryRow
from comity.bootstrap import DEFAULT_TOML, Comity, initialise, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.merkle import leaf_hash, node_id
from comity.domain.merkle_proofs import (
    reference_root,
    verify_consistency,
    verify_inclusion,
)
from comity.errors import NotFound
from comity.services.accounts import create_account, get_account

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def event(i: int) -> AuditEvent:
    return AuditEvent.of(T0, "test", AuditAction.ACCOUNT_CREATED, f"thing/{i}", {"i": i})


def append_each(comity: Comity, start: int, count: int) -> None:
    for i in range(start, start + count):
        with comity.uow() as uow:
            uow.audit.record(event(i))
            uow.commit()


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(event(i).canonical()) for i in range(n)]


def test_proofs_from_the_database_verify_against_the_reference_tree(deployment: Comity) -> None:
    append_each(deployment, 0, 5)
    with deployment.uow() as uow:
        uow.audit.record_many(event(i) for i in range(5, 70))
        uow.commit()
    all_leaves = leaves(70)
    with deployment.uow() as uow:
        log = uow.audit
        assert log.size() == 70
        for size in (1, 5, 16, 17, 33, 64, 70):
            root = reference_root(all_leaves[:size])
            assert log.root_at(size) == root
            for index in {0, size // 2, size - 1}:
                proof = log.inclusion_proof(index, size)
                assert verify_inclusion(index, size, all_leaves[index], proof, root)
            for first in (1, size // 3, size):
                if first:
                    proof = log.consistency_proof(first, size)
                    first_root = reference_root(all_leaves[:first])
                    assert verify_consistency(first, size, first_root, root, proof)
        with_nodes = log.inclusion_proof(3, 70)
        uow.session.execute(delete(AuditNodeRow))
        assert log.inclusion_proof(3, 70) == with_nodes  # rebuilt from the leaves
        with pytest.raises(NotFound):
            log.inclusion_proof(70, 70)
        with pytest.raises(NotFound):
            log.consistency_proof(5, 71)


def test_each_commit_that_appends_stores_one_signed_checkpoint(deployment: Comity) -> None:
    append_each(deployment, 0, 3)
    with deployment.uow() as uow:
        uow.audit.record_many(event(i) for i in range(3, 10))
        uow.commit()
    with deployment.uow() as uow:
        uow.audit.record(event(10))
        uow.rollback()
    signer = deployment.audit_signer
    assert signer is not None
    with deployment.uow() as uow:
        rows = uow.session.scalars(select(AuditCheckpointRow).order_by("size")).all()
        assert [r.size for r in rows] == [1, 2, 3, 10]
        for row in rows:
            checkpoint = open_checkpoint(row.note, signer.verifier_key)
            assert checkpoint.root == reference_root(leaves(row.size))
            assert checkpoint.origin == "example-mail-inc/comity-audit"


def test_a_change_whose_audit_entry_cannot_be_written_does_not_happen(
    deployment: Comity, clock
) -> None:
    # Occupy the index the next append will use, so the entry's INSERT fails in the database.
    with deployment.uow() as uow:
        uow.session.add(
            AuditEntryRow(idx=0, entry="{}", leaf_hash=b"\0" * 32, action="x", subject="y")
        )
        uow.session.commit()
    account = Account("a1", (Selector("email", "a1@example.com"),), "us-west")
    with pytest.raises(DbIntegrityError):
        create_account(deployment.uow, account, actor="test", clock=clock)
    with pytest.raises(NotFound):
        get_account(deployment.uow, "a1")
    with deployment.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(AccountRow)) == 0
        assert uow.audit.size() == 0


def test_a_change_whose_checkpoint_cannot_be_signed_does_not_happen(
    deployment: Comity, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: NoteSigner, text: str) -> str:
        raise OSError("signing key unavailable")

    monkeypatch.setattr(NoteSigner, "sign", broken)
    account = Account("a2", (Selector("email", "a2@example.com"),), "us-west")
    with pytest.raises(OSError, match="signing key unavailable"):
        create_account(deployment.uow, account, actor="test", clock=clock)
    with deployment.uow() as uow:
        assert uow.accounts.get("a2") is None
        assert uow.session.scalar(select(func.count()).select_from(AuditEntryRow)) == 0
        assert uow.session.scalar(select(func.count()).select_from(AuditCheckpointRow)) == 0


def test_an_append_that_raises_rolls_back_the_account(
    deployment: Comity, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(self: SqlMerkleLog, ev: AuditEvent) -> int:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(SqlMerkleLog, "record", failing)
    account = Account("a3", (Selector("email", "a3@example.com"),), "us-west")
    with pytest.raises(RuntimeError):
        create_account(deployment.uow, account, actor="test", clock=clock)
    monkeypatch.undo()
    with pytest.raises(NotFound):
        get_account(deployment.uow, "a3")


def _pg_comity(home: Path, pg_url: str) -> Comity:
    toml = DEFAULT_TOML.replace('database = "sqlite:///control.db"', f'database = "{pg_url}"')
    (home / "comity.toml").write_text(toml, encoding="utf-8")
    comity = open_deployment(home)
    comity.ensure_audit_key()
    comity.migrate()
    return open_deployment(home)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bulk_appends_prove_and_verify_on_each_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        initialise(tmp_path, demo=False)
        comity = open_deployment(tmp_path)
    else:
        comity = _pg_comity(tmp_path, request.getfixturevalue("pg_url"))
    append_each(comity, 0, 2)
    with comity.uow() as uow:
        assert uow.audit.record_many(event(i) for i in range(2, 40)) == range(2, 40)
        uow.commit()
    all_leaves = leaves(40)
    signer = comity.audit_signer
    assert signer is not None
    with comity.uow() as uow:
        root = uow.audit.root_at(40)
        assert root == reference_root(all_leaves)
        proof = uow.audit.inclusion_proof(21, 40)
        assert verify_inclusion(21, 40, all_leaves[21], proof, root)
        assert verify_log(uow.session, signer.verifier_key).entries == 40
        # A stored subtree hash that was altered is caught, naming where its entries start.
        uow.session.execute(
            update(AuditNodeRow).where(AuditNodeRow.id == node_id(4, 1)).values(hash=b"\1" * 32)
        )
        with pytest.raises(Tampered) as failure:
            verify_log(uow.session, signer.verifier_key)
        assert failure.value.index == 16


def test_proofs_for_sizes_beyond_the_log_are_refused(deployment: Comity) -> None:
    append_each(deployment, 0, 3)
    with deployment.uow() as uow:
        for call in (
            lambda: uow.audit.inclusion_proof(0, 4),
            lambda: uow.audit.consistency_proof(2, 4),
            lambda: uow.audit.consistency_proof(4, 4),
            lambda: uow.audit.root_at(4),
        ):
            with pytest.raises(NotFound, match="3 entries"):
                call()
        assert uow.audit.inclusion_proof(0, 1) == []
        assert uow.audit.consistency_proof(3, 3) == []
