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

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.orm import Session

from comity.adapters.audit.proofs import SqlTreeReader
from comity.adapters.audit.signing import NoteSigner
from comity.adapters.controlplane.audit_tables import NODE_MIN_LEVEL, AuditCheckpointRow
from comity.domain.audit import AuditEvent
from comity.domain.merkle import CompactRange, leaf_hash, node_id
from comity.domain.note import Checkpoint
from comity.domain.tiles import MAX_ENTRY_BYTES
from comity.errors import InvalidInput

# Every statement of an append goes to the driver directly (sqlite3 takes "?", psycopg "%s"), on
# the session's connection and so in the caller's transaction: through the ORM the bookkeeping
# would cost more than hashing and storing the entry. The texts are constants.
_LOCK_STATE = "SELECT size, frontier FROM audit_tree_state WHERE id = 1"
_NEW_STATE = "INSERT INTO audit_tree_state (id, size, frontier) VALUES (1, ?, ?)"
_SET_STATE = "UPDATE audit_tree_state SET size = ?, frontier = ? WHERE id = 1"
_INSERT_ENTRY = (
    "INSERT INTO audit_entries (idx, entry, leaf_hash, action, subject) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_NODE = "INSERT INTO audit_nodes (id, hash) VALUES (?, ?)"


_CHECKPOINT = insert(AuditCheckpointRow)  # built once so SQLAlchemy compiles it once
_INFO_KEY = "comity.audit_log"


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    """Sign and store the checkpoint of any log that appended in this session's transaction.

    Registered once on the Session class (per-session listeners cost more than an append); a
    session without a signing log is left alone.
    """
    log = session.info.get(_INFO_KEY)
    if isinstance(log, SqlMerkleLog):
        log._seal(session)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    log = session.info.get(_INFO_KEY)
    if isinstance(log, SqlMerkleLog):
        log._forget(session)


def _unpack(frontier: bytes) -> tuple[bytes, ...]:
    return tuple(frontier[i : i + 32] for i in range(0, len(frontier), 32))


def _capped(entry: bytes, action: str) -> bytes:
    """Refuse an entry too long for a tlog-tiles entry bundle (a uint16 length prefix).

    Raised inside the caller's transaction, so the change the entry records does not happen.
    """
    if len(entry) > MAX_ENTRY_BYTES:
        raise InvalidInput(
            f"the audit entry for {action!r} is {len(entry)} bytes; entries are capped at "
            f"{MAX_ENTRY_BYTES} bytes so the log can serve them as tlog-tiles entry bundles"
        )
    return entry


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
            session.info[_INFO_KEY] = self

    def _run(self, sql: str, params: Sequence[Any]) -> None:
        conn = self._session.connection()
        if conn.dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        if params and isinstance(params[0], tuple):
            conn.exec_driver_sql(sql, list(params))
        else:
            conn.exec_driver_sql(sql, tuple(params))

    def _state(self) -> CompactRange:
        """The tree state, locked for the rest of the transaction (created if missing)."""
        conn = self._session.connection()
        sql = _LOCK_STATE if conn.dialect.name == "sqlite" else _LOCK_STATE + " FOR UPDATE"
        row = conn.exec_driver_sql(sql).first()
        if row is None:
            self._run(_NEW_STATE, (0, b""))
            return CompactRange.empty()
        return CompactRange(int(row[0]), _unpack(bytes(row[1])))

    def _store(
        self,
        grown: CompactRange,
        entries: list[tuple[int, str, bytes, str, str]],
        formed: list[tuple[int, int, bytes]],
    ) -> None:
        if entries:
            self._run(_INSERT_ENTRY, entries)
        nodes = [(node_id(lvl, i), h) for lvl, i, h in formed if lvl >= NODE_MIN_LEVEL]
        if nodes:
            self._run(_INSERT_NODE, nodes)
        self._run(_SET_STATE, (grown.size, b"".join(grown.frontier)))
        self._unsealed = True

    def record(self, event: AuditEvent) -> int:
        entry = _capped(event.canonical(), event.action)
        tree = self._state()
        leaf = leaf_hash(entry)
        grown, formed = tree.append_nodes(leaf)
        row = (tree.size, entry.decode(), leaf, event.action, event.subject)
        self._store(grown, [row], formed)
        return tree.size

    def record_many(self, events: Iterable[AuditEvent]) -> range:
        """Append many events with bulk inserts (one state update); return their indexes.

        For imports and batch jobs: same tree, same transaction rules, fewer round trips.
        """
        tree = self._state()
        rows: list[tuple[int, str, bytes, str, str]] = []
        leaves: list[bytes] = []
        for index, ev in enumerate(events, start=tree.size):
            entry = _capped(ev.canonical(), ev.action)
            leaf = leaf_hash(entry)
            leaves.append(leaf)
            rows.append((index, entry.decode(), leaf, ev.action, ev.subject))
        grown, formed = tree.extend(leaves, NODE_MIN_LEVEL)
        self._store(grown, rows, formed)
        return range(tree.size, grown.size)

    def _forget(self, _session: Session) -> None:
        self._unsealed = False

    def _seal(self, _session: Session) -> None:
        """Sign the tree head this transaction produced and store it with the entries."""
        if not self._unsealed or self._signer is None:
            return
        self._unsealed = False
        tree = self.tree()
        checkpoint = Checkpoint(self._signer.name, tree.size, tree.root())
        note = self._signer.sign_checkpoint(checkpoint)
        self._session.execute(
            _CHECKPOINT,
            {"size": tree.size, "root": checkpoint.root, "note": note, "created_at": self._now()},
        )

    def tree(self) -> CompactRange:
        """The current size and compact range (read-only)."""
        row = self._session.connection().exec_driver_sql(_LOCK_STATE).first()
        return (
            CompactRange.empty()
            if row is None
            else CompactRange(int(row[0]), _unpack(bytes(row[1])))
        )
