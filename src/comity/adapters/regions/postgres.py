"""A regional store on PostgreSQL: one database per region, as a provider runs it in-country."""

from __future__ import annotations

from comity.adapters.controlplane.db import make_engine
from comity.adapters.regions.sql_store import SqlRegionStore


class PostgresRegionStore(SqlRegionStore):
    def __init__(self, region_id: str, url: str) -> None:
        super().__init__(region_id, make_engine(url))
