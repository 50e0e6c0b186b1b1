"""The default regional store: one SQLite file per region, in WAL mode.

Unlike the control plane, reads here start deferred transactions: a long streamed read (a
production, a move) must not hold the write lock and stall ingest. Writers ask for
``immediate=True`` so two writers queue at BEGIN instead of failing on a lock upgrade. A
connection may be handed to the writer's helper thread (``sql_store._Writer``), never used by
two threads at once, hence ``check_same_thread=False``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection

from comity.adapters.controlplane.db import sqlite_engine
from comity.adapters.regions.sql_store import SqlRegionStore


class SqliteRegionStore(SqlRegionStore):
    def __init__(self, region_id: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Large pages: a message is kilobytes to megabytes, so 64 KiB pages mean far fewer
        # overflow pages and WAL frames (ingest about twice as fast as with 4 KiB). It takes
        # effect only on a new file, before WAL mode is set; later it is a no-op.
        # Record ids are digests, so the id index is written at random places; with SQLite's
        # default 2 MiB cache its pages spill to the WAL again and again on large ingests.
        # 64 MiB (cache_size=-65536) keeps the index in memory for millions of records (a bound,
        # not a growth). Writers ask for ``immediate`` to take the write lock at BEGIN.
        engine = sqlite_engine(
            f"sqlite:///{path}",
            ["page_size=65536", "journal_mode=WAL", "cache_size=-65536", "synchronous=NORMAL"],
            _begin_statement,
        )
        super().__init__(region_id, engine)


def _begin_statement(conn: Connection) -> str:
    immediate = conn.get_execution_options().get("immediate", False)
    return "BEGIN IMMEDIATE" if immediate else "BEGIN"
