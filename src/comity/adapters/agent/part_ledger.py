"""``PartLedger`` on the region's own database: one row per production part, beside the queue's
jobs (Procrastinate's tables) in the same PostgreSQL database, so the region's status never
depends on the control plane's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    select,
)
from sqlalchemy.dialects.postgresql import insert

from comity.services.productions.parts_ports import PartStatus

metadata = MetaData()
parts = Table(
    "comity_production_parts",
    metadata,
    Column("authorization_id", String(200), primary_key=True),
    Column("region", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("reason", Text),
    Column("records", Integer),
    Column("size", BigInteger),
    Column("updated_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),
)


class SqlPartLedger:
    def __init__(self, region_id: str, engine: Engine) -> None:
        self._region = region_id
        self._engine = engine

    def ensure_schema(self) -> None:
        metadata.create_all(self._engine)

    def get(self, authorization_id: str) -> PartStatus | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(parts).where(parts.c.authorization_id == authorization_id)
            ).first()
        return None if row is None else _status(row._mapping)

    def put(self, status: PartStatus) -> None:
        values = {
            "authorization_id": status.authorization_id,
            "region": status.region,
            "state": status.state,
            "attempts": status.attempts,
            "reason": status.reason,
            "records": status.records,
            "size": status.size,
            "updated_at": status.updated_at,
            "expires_at": status.expires_at,
        }
        statement = insert(parts).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=[parts.c.authorization_id],
            set_={k: statement.excluded[k] for k in values if k != "authorization_id"},
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    def expired(self, now: datetime) -> list[PartStatus]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(parts).where(parts.c.expires_at <= now)).all()
        return [_status(row._mapping) for row in rows]

    def remove(self, authorization_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(parts).where(parts.c.authorization_id == authorization_id))


def _moment(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _status(row: object) -> PartStatus:
    m = dict(row)  # type: ignore[call-overload]
    return PartStatus(
        region=m["region"],
        authorization_id=m["authorization_id"],
        state=m["state"],
        attempts=m["attempts"],
        reason=m["reason"],
        records=m["records"],
        size=m["size"],
        updated_at=_moment(m["updated_at"]),
        expires_at=_moment(m["expires_at"]),
    )
