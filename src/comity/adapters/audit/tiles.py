"""Serve the stored log as C2SP tlog-tiles: hash tiles and entry bundles, read in one query each.

Level-0 tiles are 256 consecutive leaf hashes and entry bundles 256 consecutive entries: one range
scan on ``audit_entries``' primary key. A level-``L`` tile (``L`` >= 1) is 256 perfect subtrees of
``2**(8L)`` leaves, which appends store in ``audit_nodes`` (level 8 and up is above
``NODE_MIN_LEVEL``), so one ``IN`` query on 256 keys; a node that is missing (a log written before
the node table) is rebuilt through the proof reader, so a tile is always right, only slower.

What is served is bounded by the latest signed checkpoint: a tile whose last hash lies beyond that
size answers ``NotFound`` before any row is read, so a request for index 10**20 costs no more than
one for index 0. Every tile a checkpoint size needs is served (full or partial), which is what
tlog-tiles asks of a log ("Logs MUST serve partial tiles corresponding to tree sizes for which a
checkpoint was produced").
"""

from __future__ import annotations

from sqlalchemy import select

from comity.adapters.audit.proofs import SqlTreeReader
from comity.adapters.audit.witnessing import cosignature_lines
from comity.adapters.controlplane.audit_tables import AuditCheckpointRow
from comity.domain.merkle import node_id
from comity.domain.tiles import TileRef, bundle
from comity.errors import NotFound

_LEAVES = "SELECT idx, leaf_hash FROM audit_entries WHERE idx >= {0} AND idx < {0} ORDER BY idx"
_ENTRIES = "SELECT idx, entry FROM audit_entries WHERE idx >= {0} AND idx < {0} ORDER BY idx"
_NODES = "SELECT id, hash FROM audit_nodes WHERE id IN ({})"


class TileReader:
    """Tiles, entry bundles and the checkpoint note of the log ``reader`` reads."""

    def __init__(self, reader: SqlTreeReader) -> None:
        self._reader = reader

    def _run(self, sql: str, params: list[int]) -> list[tuple[int, bytes | str]]:
        session = self._reader._session  # the reader's own session and transaction
        conn = session.connection()
        mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if "IN ({})" in sql:
                cursor.execute(sql.format(", ".join([mark] * len(params))), tuple(params))
            else:
                cursor.execute(sql.format(mark), tuple(params))
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def checkpoint(self) -> AuditCheckpointRow:
        """The latest signed checkpoint; ``NotFound`` while the log has none."""
        latest = self._reader.latest_checkpoint()
        if latest is None:
            raise NotFound("the audit log has no signed checkpoint yet")
        return latest

    def cosignatures(self, size: int) -> str:
        """The witnesses' cosignature lines for the checkpoint at ``size``."""
        return cosignature_lines(self._reader._session, size)

    def signed_size(self) -> int:
        session = self._reader._session
        size = session.scalar(
            select(AuditCheckpointRow.size).order_by(AuditCheckpointRow.size.desc()).limit(1)
        )
        return int(size) if size is not None else 0

    def _bound(self, ref: TileRef) -> None:
        """Refuse, before reading anything, a tile that no signed checkpoint needs."""
        size = self.signed_size()
        if ref.end > size:
            kind = "entry bundle" if ref.entries else "tile"
            raise NotFound(
                f"{kind} {ref.path()} lies beyond the log's signed size of {size} entries"
            )

    def tile(self, ref: TileRef) -> bytes:
        """The concatenated 32-byte hashes of the hash tile ``ref``."""
        self._bound(ref)
        if ref.level == 0:
            span = ref.leaf_range()
            rows = self._run(_LEAVES, [span.start, span.stop])
            if len(rows) != ref.width:
                raise NotFound(f"tile {ref.path()}: entries are missing from the log")
            return b"".join(bytes(h) for _, h in rows)  # type: ignore[arg-type]
        subtrees = ref.subtrees()
        ids = [node_id(level, index) for level, index in subtrees]
        found = {int(i): bytes(h) for i, h in self._run(_NODES, ids)}  # type: ignore[arg-type]
        out: list[bytes] = []
        for (level, index), nid in zip(subtrees, ids, strict=True):
            h = found.get(nid)
            if h is None:  # not stored: rebuilt from the leaves, as proofs do
                h = self._reader.range_hashes([(index << level, (index + 1) << level)])[0]
            out.append(h)
        return b"".join(out)

    def entry_bundle(self, ref: TileRef) -> bytes:
        """The entries of bundle ``ref``, each prefixed by its big-endian uint16 length."""
        self._bound(ref)
        span = ref.leaf_range()
        rows = self._run(_ENTRIES, [span.start, span.stop])
        if len(rows) != ref.width:
            raise NotFound(f"entry bundle {ref.path()}: entries are missing from the log")
        return bundle([str(entry).encode() for _, entry in rows])
