"""Append audit events to the Merkle log inside the caller's SQLAlchemy transaction.

Appends read the one-row tree state (size and compact range), add the leaf, and write the new
state: O(log n) hashing and two row writes, never a walk over the leaves. On PostgreSQL the state
row is locked ``FOR UPDATE``; on SQLite the engine starts every transaction ``IMMEDIATE``. Either
way two writers are serialised and the log keeps one order. Because the entry is written in the
same transaction as the change it records, a change whose entry cannot be written does not happen.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.adapters.controlplane.tables import AuditEntryRow, AuditTreeStateRow
from comity.domain.audit import AuditEvent
from comity.domain.merkle import CompactRange, leaf_hash

_STATE_ID = 1


def _unpack(frontier: bytes) -> tuple[bytes, ...]:
    return tuple(frontier[i : i + 32] for i in range(0, len(frontier), 32))


class SqlMerkleLog:
    def __init__(self, session: Session) -> None:
        self._session = session

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
        grown = tree.append(leaf)
        row.size = grown.size
        row.frontier = b"".join(grown.frontier)
        self._session.flush()
        return index

    def tree(self) -> CompactRange:
        """The current size and compact range (read-only)."""
        row = self._session.get(AuditTreeStateRow, _STATE_ID)
        return (
            CompactRange.empty() if row is None else CompactRange(row.size, _unpack(row.frontier))
        )
