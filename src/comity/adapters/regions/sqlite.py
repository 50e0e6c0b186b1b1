"""The default regional store: one SQLite file per region, in WAL mode.

Unlike the control plane, reads here start deferred transactions: a long streamed read (a
production, a move) must not hold the write lock and stall ingest. Writers ask for
``immediate=True`` so two writers queue at BEGIN instead of failing on a lock upgrade. A
connection may be handed to the writer's helper thread (``sql_store._Writer``), never used by
two threads at once, hence ``check_same_thread=False``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event

from comity.adapters.regions.sql_store import SqlRegionStore


class SqliteRegionStore(SqlRegionStore):
    def __init__(self, region_id: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        engine = create_engine(
            f"sqlite:///{path}", connect_args={"timeout": 30, "check_same_thread": False}
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            # Large pages: a message is kilobytes to megabytes, so 64 KiB pages mean far fewer
            # overflow pages and WAL frames (ingest about twice as fast as with 4 KiB). It takes
            # effect only on a new file, before WAL mode is set; later it is a no-op.
            cur.execute("PRAGMA page_size=65536")
            cur.execute("PRAGMA journal_mode=WAL")
            # Record ids are digests, so the id index is written at random places; with SQLite's
            # default 2 MiB cache its pages spill to the WAL again and again on large ingests.
            # 64 MiB keeps the index in memory for millions of records (a bound, not a growth).
            cur.execute("PRAGMA cache_size=-65536")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("immediate", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        super().__init__(region_id, engine)
