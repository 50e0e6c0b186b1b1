"""Append audit events to the Merkle log inside the caller's SQLAlchemy transaction.

Appends read the one-row tree state (size and compact range), add the leaf, store any perfect
subtree of ``2**NODE_MIN_LEVEL`` or more leaves the append completed, and write the new state:
O(log n) hashing and a few row writes, never a walk over the leaves. On PostgreSQL the state row is
locked ``FOR UPDATE``; on SQLite the engine starts every transaction ``IMMEDIATE``. Either way two
writers are serialised and the log keeps one order. Because the entry is written in the same
transaction as the change it records, a change whose entry cannot be written does not happen.

With a signer, the transaction that appended also stores a signed checkpoint of the new tree
head just before it commits (a session ``before_commit`` hook), so every committed size that
ends a transaction has a signed root, and the checkpoint commits or rolls back with the entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from comity.adapters.audit.proofs import SqlTreeReader
from comity.adapters.audit.signing import NoteSigner
from comity.adapters.controlplane.audit_tables import (
    NODE_MIN_LEVEL,
    AuditCheckpointRow,
    AuditNodeRow,
)
from comity.adapters.controlplane.tables import AuditEntryRow, AuditTreeStateRow
from comity.domain.audit import AuditEvent
from comity.domain.merkle import CompactRange, leaf_hash, node_id
from comity.domain.note import Checkpoint

_STATE_ID = 1
# Constant driver-level statements for bulk appends (sqlite3 takes "?", psycopg "%s").
_INSERT_ENTRIES_QMARK = (
    "INSERT INTO audit_entries (idx, entry, leaf_hash, action, subject) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_ENTRIES_FORMAT = _INSERT_ENTRIES_QMARK.replace("?", "%s")
_INSERT_NODES_QMARK = "INSERT INTO audit_nodes (id, hash) VALUES (?, ?)"
_INSERT_NODES_FORMAT = _INSERT_NODES_QMARK.replace("?", "%s")


def _unpack(frontier: bytes) -> tuple[bytes, ...]:
    return tuple(frontier[i : i + 32] for i in range(0, len(frontier), 32))


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SqlMerkleLog(SqlTreeReader):
    def __init__(
        self,
        session: Session,
        signer: NoteSigner | None = None,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        super().__init__(session)
        self._signer = signer
        self._now = now
        self._unsealed = False
        if signer is not None:
            event.listen(session, "before_commit", self._seal)
            event.listen(session, "after_rollback", self._forget)

    def _state(self) -> tuple[AuditTreeStateRow, CompactRange]:
        row = self._session.scalars(
            select(AuditTreeStateRow).where(AuditTreeStateRow.id == _STATE_ID).with_for_update()
        ).one_or_none()
        if row is None:
            row = AuditTreeStateRow(id=_STATE_ID, size=0, frontier=b"")
            self._session.add(row)
        return row, CompactRange(row.size, _unpack(row.frontier))

    def record(self, event: AuditEvent) -> int:
        entry = event.canonical()
        row, tree = self._state()
        leaf = leaf_hash(entry)
        index = tree.size
        self._session.add(
            AuditEntryRow(
                idx=index,
                entry=entry.decode(),
                leaf_hash=leaf,
                action=event.action,
                subject=event.subject,
            )
        )
        grown, formed = tree.append_nodes(leaf)
        for level, idx, node in formed:
            if level >= NODE_MIN_LEVEL:
                self._session.add(AuditNodeRow(id=node_id(level, idx), hash=node))
        row.size = grown.size
        row.frontier = b"".join(grown.frontier)
        self._unsealed = True
        self._session.flush()
        return index

    def record_many(self, events: Iterable[AuditEvent]) -> range:
        """Append many events with bulk inserts (one state update); return their indexes.

        For imports and batch jobs: same tree, same transaction rules, fewer round trips. Rows
        go straight to the driver's ``executemany``: at a million entries the ORM's per-row
        bookkeeping would cost more than hashing and storing them.
        """
        row, tree = self._state()
        self._session.flush()
        first = tree.size
        rows: list[tuple[int, str, bytes, str, str]] = []
        leaves: list[bytes] = []
        for index, ev in enumerate(events, start=first):
            entry = ev.canonical()
            leaf = leaf_hash(entry)
            leaves.append(leaf)
            rows.append((index, entry.decode(), leaf, ev.action, ev.subject))
        grown, formed = tree.extend(leaves, NODE_MIN_LEVEL)
        conn = self._session.connection()
        qmark = conn.dialect.paramstyle == "qmark"
        if rows:
            conn.exec_driver_sql(
                _INSERT_ENTRIES_QMARK if qmark else _INSERT_ENTRIES_FORMAT,
                rows,
            )
        if formed:
            conn.exec_driver_sql(
                _INSERT_NODES_QMARK if qmark else _INSERT_NODES_FORMAT,
                [(node_id(lvl, i), h) for lvl, i, h in formed],
            )
        row.size = grown.size
        row.frontier = b"".join(grown.frontier)
        self._unsealed = True
        self._session.flush()
        return range(first, grown.size)

    def _forget(self, _session: Session) -> None:
        self._unsealed = False

    def _seal(self, _session: Session) -> None:
        """Sign the tree head this transaction produced and store it with the entries."""
        if not self._unsealed or self._signer is None:
            return
        self._unsealed = False
        tree = self.tree()
        if self._session.get(AuditCheckpointRow, tree.size) is not None:
            return
        checkpoint = Checkpoint(self._signer.name, tree.size, tree.root())
        self._session.add(
            AuditCheckpointRow(
                size=tree.size,
                root=checkpoint.root,
                note=self._signer.sign_checkpoint(checkpoint),
                created_at=self._now(),
            )
        )
        self._session.flush()

    def tree(self) -> CompactRange:
        """The current size and compact range (read-only)."""
        row = self._session.get(AuditTreeStateRow, _STATE_ID)
        return (
            CompactRange.empty() if row is None else CompactRange(row.size, _unpack(row.frontier))
        )
