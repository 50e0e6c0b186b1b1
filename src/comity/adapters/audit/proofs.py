"""Reading the stored log: entries, checkpoints, and RFC 9162 proofs from stored subtree hashes.

A proof needs the hashes of O(log n) leaf ranges. Each range splits into aligned perfect subtrees
(domain.merkle_proofs.perfect_subtrees); subtrees of ``2**NODE_MIN_LEVEL`` leaves or more are read
from ``audit_nodes`` in one query, smaller ones are rehashed from at most that many leaf hashes read
in one more query. A stored node that is missing (say, a log written before the node table
existed) is rebuilt from its leaves, so proofs are always right, only slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from comity.adapters.controlplane.audit_tables import (
    NODE_MIN_LEVEL,
    AuditCheckpointRow,
)
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.domain.merkle import node_id
from comity.domain.merkle_proofs import (
    Range,
    Subtree,
    consistency_ranges,
    fold,
    inclusion_ranges,
    perfect_subtrees,
    reference_root,
)
from comity.errors import NotFound

# The proof path runs three tiny queries; through the ORM each would cost more than the rest of
# the proof, so they go to the driver directly, on the session's own connection (and transaction).
# Only placeholders are ever added to these texts, never values.
_SIZE = "SELECT size FROM audit_tree_state WHERE id = 1"
_NODES = "SELECT id, hash FROM audit_nodes WHERE id IN ({})"
_LEAVES = "SELECT idx, leaf_hash FROM audit_entries WHERE idx IN ({})"


#: Indexes and sizes are 32-bit integer columns; anything larger cannot be in the log.
MAX_INDEX = 2**31 - 1


def _in_range(*values: int) -> None:
    for value in values:
        if value > MAX_INDEX:
            raise NotFound(f"{value} is beyond any audit log index or size (at most {MAX_INDEX})")


class SqlTreeReader:
    """Read-only access to the log in ``session`` (the writer extends it)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _query(self, sql: str, params: Sequence[int] = ()) -> list[Any]:
        conn = self._session.connection()
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql.format(", ".join([mark] * len(params))), tuple(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def size(self) -> int:
        rows = self._query(_SIZE)
        return int(rows[0][0]) if rows else 0

    def entry(self, index: int) -> AuditEntryRow:
        _in_range(index)
        row = self._session.get(AuditEntryRow, index)
        if row is None:
            raise NotFound(f"audit entry {index} does not exist (the log has {self.size()})")
        return row

    def latest_checkpoint(self) -> AuditCheckpointRow | None:
        return self._session.scalars(
            select(AuditCheckpointRow).order_by(AuditCheckpointRow.size.desc()).limit(1)
        ).first()

    def checkpoint_count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(AuditCheckpointRow)) or 0

    def _leaves(self, indexes: Sequence[int]) -> dict[int, bytes]:
        if not indexes:
            return {}
        rows = self._query(_LEAVES, sorted(set(indexes)))
        return {idx: bytes(h) for idx, h in rows}

    def _subtree_hashes(self, subtrees: set[Subtree]) -> dict[Subtree, bytes]:
        stored = {node_id(*s): s for s in subtrees if s[0] >= NODE_MIN_LEVEL}
        found: dict[Subtree, bytes] = {}
        if stored:
            rows = self._query(_NODES, list(stored))
            found = {stored[i]: bytes(h) for i, h in rows}
        rebuild = sorted(s for s in subtrees if s not in found)
        spans = [(i << lvl, (i + 1) << lvl) for lvl, i in rebuild]
        leaves = self._leaves([j for a, b in spans for j in range(a, b)])
        for (lvl, i), (a, b) in zip(rebuild, spans, strict=True):
            try:
                found[(lvl, i)] = reference_root([leaves[j] for j in range(a, b)])
            except KeyError as exc:
                current = self.size()
                if exc.args[0] >= current:
                    raise NotFound(f"the log has only {current} entries") from None
                raise NotFound(f"audit entry {exc.args[0]} is missing from the log") from None
        return found

    def range_hashes(self, ranges: Sequence[Range]) -> list[bytes]:
        """The RFC 9162 hash of each leaf range, with two or three queries in all."""
        split = [perfect_subtrees(a, b) for a, b in ranges]
        hashes = self._subtree_hashes({s for parts in split for s in parts})
        return [fold([hashes[s] for s in parts]) for parts in split]

    def _check_size(self, size: int) -> None:
        current = self.size()
        if not 0 <= size <= current:
            raise NotFound(f"the log has {current} entries, not {size}")

    def root_at(self, size: int) -> bytes:
        _in_range(size)
        self._check_size(size)
        return self.range_hashes([(0, size)])[0]

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        """The audit path of ``index`` in the tree of ``size``; 404 before any work if the tree
        is not (yet) in the log: these routes are public, and a size beyond the log would
        otherwise make the server read and rehash every leaf of a tree that does not exist."""
        _in_range(index, size)
        if not 0 <= index < size:
            raise NotFound(f"entry {index} is not in the tree of the first {size} entries")
        self._check_size(size)
        return self.range_hashes(inclusion_ranges(index, size))

    def consistency_proof(self, first: int, second: int) -> list[bytes]:
        """RFC 9162 consistency proof; like ``inclusion_proof``, bounded by the log's size first."""
        _in_range(first, second)
        if not 0 <= first <= second:
            raise NotFound(f"no consistency proof from size {first} to the smaller size {second}")
        self._check_size(second)
        return self.range_hashes(consistency_ranges(first, second))
