"""The default regional store: one SQLite file per region (WAL, like the control plane)."""

from __future__ import annotations

from pathlib import Path

from comity.adapters.controlplane.db import make_engine
from comity.adapters.regions.sql_store import SqlRegionStore


class SqliteRegionStore(SqlRegionStore):
    def __init__(self, region_id: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        super().__init__(region_id, make_engine(f"sqlite:///{path}"))
