"""Regional record stores on SQL: one table of sealed records, the same for SQLite and PostgreSQL.

SQLAlchemy Core keeps one code path for both backends; the subclasses in ``sqlite.py`` and
``postgres.py`` only say how to connect. Times are stored as integer microseconds (UTC) so that
period filters compare the same way on both. ``store_meta`` names the region a store belongs to,
so pointing one region's configuration at another region's database is refused.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    inspect,
    select,
    update,
)

from comity.adapters.regions.envelope import micros
from comity.domain.categories import Category
from comity.errors import ConfigurationError, Conflict
from comity.services.custody.ports import HoldMarker, SealedRecord

SCHEMA_VERSION = "1"
BATCH = 500
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

metadata = MetaData()

records = Table(
    "records",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("account_id", String(128), nullable=False),
    Column("category", String(16), nullable=False),
    Column("occurred_at_us", BigInteger, nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("key_version", Integer, nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("nonce", LargeBinary, nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("warning", Text),
    # Room for issue 6 (preservation holds): a user's deletion sets this and hides the record.
    Column("deleted_at_us", BigInteger),
    # The sealed mbox "From " line of a message ingested from an mbox (envelope.seal).
    Column("envelope", LargeBinary),
    Index("records_by_account", "account_id", "category", "occurred_at_us"),
    Index("records_by_key_version", "key_version"),
)

#: Preservation holds as this region enforces them (issue 6); categories comma-separated.
holds = Table(
    "holds",
    metadata,
    Column("hold_id", String(128), primary_key=True),
    Column("case_id", String(128), nullable=False),
    Column("account_id", String(128), nullable=False),
    Column("categories", String(128), nullable=False),
    Column("placed_at_us", BigInteger, nullable=False),
    Column("expires_at_us", BigInteger),
    Column("released_at_us", BigInteger),
    Index("holds_by_account", "account_id"),
)

store_meta = Table(
    "store_meta",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", String(256), nullable=False),
)


def _time(us: int | None) -> datetime | None:
    return None if us is None else _EPOCH + timedelta(microseconds=us)


def _values(record: SealedRecord) -> tuple[Any, ...]:
    return (
        record.id,
        record.account_id,
        record.category.value,
        micros(record.occurred_at),
        record.media_type,
        record.size,
        record.key_version,
        record.wrapped_key,
        record.nonce,
        record.ciphertext,
        record.warning,
        None if record.deleted_at is None else micros(record.deleted_at),
        record.envelope,
    )


def _sealed(row: Any) -> SealedRecord:
    occurred = _time(row.occurred_at_us)
    assert occurred is not None
    return SealedRecord(
        id=row.id,
        account_id=row.account_id,
        category=Category(row.category),
        occurred_at=occurred,
        media_type=row.media_type,
        size=row.size,
        key_version=row.key_version,
        wrapped_key=bytes(row.wrapped_key),
        nonce=bytes(row.nonce),
        ciphertext=bytes(row.ciphertext),
        warning=row.warning,
        deleted_at=_time(row.deleted_at_us),
        envelope=None if row.envelope is None else bytes(row.envelope),
    )


def _us(at: datetime | None) -> int | None:
    return None if at is None else micros(at)


def _marker(row: Any) -> HoldMarker:
    placed = _time(row.placed_at_us)
    assert placed is not None
    return HoldMarker(
        hold_id=row.hold_id,
        case_id=row.case_id,
        account_id=row.account_id,
        categories=tuple(Category(c) for c in row.categories.split(",")),
        placed_at=placed,
        expires_at=_time(row.expires_at_us),
        released_at=_time(row.released_at_us),
    )


def _refusal(region: str, marker: HoldMarker, account_id: str, category: Category) -> str:
    until = f" until {marker.expires_at.isoformat()}" if marker.expires_at else " until released"
    return (
        f"region {region}: the {category.value} records of account {account_id} are under "
        f"preservation hold {marker.hold_id} (case {marker.case_id}){until}; they cannot be "
        "deleted or overwritten"
    )


_COLUMNS = [c.name for c in records.columns]
_INSERT = "INSERT INTO records ({columns}) VALUES ({marks}) ON CONFLICT (id) DO NOTHING"


class _Writer:
    """Batches rows and inserts them with the driver's ``executemany``; same ids are skipped.

    The hot path of ingest, so it bypasses SQLAlchemy's per-row parameter processing: rows are
    plain tuples, one ``executemany`` per category per batch so the driver's row count tells how
    many of each category were really new. Full batches are written by a helper thread while
    the caller parses and encrypts the next ones (the driver releases the GIL while it writes);
    at most two batches wait, so memory stays flat. The connection is only ever used by one
    thread at a time: ``flush`` and ``close`` wait for the helper before returning.
    """

    def __init__(self, conn: Connection, statement: str) -> None:
        self._conn = conn
        self._statement = statement
        self._batch: dict[Category, list[tuple[Any, ...]]] = {}
        self._pending = 0
        self._jobs: queue.Queue[dict[Category, list[tuple[Any, ...]]] | None] = queue.Queue(2)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.inserted = 0
        self.inserted_by_category: dict[Category, int] = {}

    def put(self, record: SealedRecord) -> None:
        self._batch.setdefault(record.category, []).append(_values(record))
        self._pending += 1
        if self._pending >= BATCH:
            self._submit()

    def _submit(self) -> None:
        if self._error is not None:
            raise self._error
        if not self._batch:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._drain, name="region-writer", daemon=True)
            self._thread.start()
        self._jobs.put(self._batch)
        self._batch, self._pending = {}, 0

    def _drain(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is not None:
                continue  # keep draining so the producer never blocks; nothing more is written
            try:
                self._execute(job)
            except BaseException as exc:  # handed to the caller's thread by flush/close
                self._error = exc

    def _execute(self, job: dict[Category, list[tuple[Any, ...]]]) -> None:
        for category, rows in job.items():
            result = self._conn.exec_driver_sql(self._statement, rows)
            new = max(result.rowcount, 0)
            self.inserted_by_category[category] = self.inserted_by_category.get(category, 0) + new
            self.inserted += new

    def close(self) -> None:
        """Wait for the helper thread to finish what it was given."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None

    def flush(self) -> None:
        """Write everything put so far (uncommitted) and return once it is written."""
        self._submit()
        self.close()
        if self._error is not None:
            raise self._error


class SqlRegionStore:
    """The ``RegionStore`` port on a SQLAlchemy engine."""

    def __init__(self, region_id: str, engine: Engine) -> None:
        self.region_id = region_id
        self.engine = engine
        mark = "%s" if engine.dialect.paramstyle in ("format", "pyformat") else "?"
        # ON CONFLICT DO NOTHING: PostgreSQL 9.5+ and SQLite 3.24+ spell it the same way.
        marks = ", ".join([mark] * len(_COLUMNS))
        self._insert = _INSERT.format(columns=", ".join(_COLUMNS), marks=marks)
        self._checked = False

    # -- schema --------------------------------------------------------------------------------

    def ensure_schema(self) -> bool:
        created = not inspect(self.engine).has_table("records")
        metadata.create_all(self.engine)
        with self.engine.begin() as conn:
            owner = conn.scalar(select(store_meta.c.value).where(store_meta.c.name == "region"))
            if owner is None:
                conn.execute(
                    store_meta.insert(),
                    [
                        {"name": "region", "value": self.region_id},
                        {"name": "schema_version", "value": SCHEMA_VERSION},
                    ],
                )
        self._check_owner()
        return created

    def _check_owner(self) -> None:
        if self._checked:
            return
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("store_meta"):
                raise ConfigurationError(
                    f"the store of region {self.region_id} has no tables; run 'comity init' to "
                    "create them"
                )
            owner = conn.scalar(select(store_meta.c.value).where(store_meta.c.name == "region"))
        if owner != self.region_id:
            raise ConfigurationError(
                f"the store configured for region {self.region_id} belongs to region {owner}; "
                "each region must have its own store"
            )
        # Stores made before holds existed get their table on first use, and stores made before
        # envelope lines were kept get the column (NULL: those messages have none stored).
        metadata.create_all(self.engine, tables=[holds])
        self._add_envelope_column()
        self._checked = True

    def _add_envelope_column(self) -> None:
        with self.engine.begin() as conn:
            present = {c["name"] for c in inspect(conn).get_columns("records")}
            if "envelope" not in present:
                kind = LargeBinary().compile(dialect=self.engine.dialect)
                conn.exec_driver_sql(f"ALTER TABLE records ADD COLUMN envelope {kind}")

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction (on SQLite, ``BEGIN IMMEDIATE``; see ``sqlite.py``)."""
        with self.engine.connect() as plain:
            conn = plain.execution_options(immediate=True)
            with conn.begin():
                yield conn

    @contextmanager
    def writer(self) -> Iterator[_Writer]:
        self._check_owner()
        with self._write() as conn:
            writer = _Writer(conn, self._insert)
            try:
                yield writer
                writer.flush()
            finally:
                writer.close()  # before commit or rollback, never while the helper writes

    def delete(
        self, account_id: str, categories: Sequence[Category], *, now: datetime | None = None
    ) -> int:
        self._check_owner()
        at = now or datetime.now(UTC)
        with self._write() as conn:
            self._lock(conn)
            for category in categories:
                marker = self._holding(conn, account_id, category, at)
                if marker is not None:
                    raise Conflict(_refusal(self.region_id, marker, account_id, category))
            result = conn.execute(
                delete(records).where(
                    records.c.account_id == account_id,
                    records.c.category.in_([c.value for c in categories]),
                )
            )
            return max(result.rowcount, 0)

    def hide(
        self,
        account_id: str,
        categories: Sequence[Category],
        now: datetime,
        record_ids: Sequence[str] | None = None,
    ) -> tuple[int, int]:
        self._check_owner()
        hidden = removed = 0
        with self._write() as conn:
            self._lock(conn)
            for category in categories:
                where = [records.c.account_id == account_id, records.c.category == category.value]
                if record_ids is not None:
                    where.append(records.c.id.in_(list(record_ids)))
                if self._holding(conn, account_id, category, now) is not None:
                    result = conn.execute(
                        update(records)
                        .where(*where, records.c.deleted_at_us.is_(None))
                        .values(deleted_at_us=micros(now))
                    )
                    hidden += max(result.rowcount, 0)
                else:
                    removed += max(conn.execute(delete(records).where(*where)).rowcount, 0)
        return hidden, removed

    def set_hold(self, marker: HoldMarker) -> None:
        self._check_owner()
        with self._write() as conn:
            self._lock(conn)
            conn.execute(delete(holds).where(holds.c.hold_id == marker.hold_id))
            conn.execute(
                holds.insert().values(
                    hold_id=marker.hold_id,
                    case_id=marker.case_id,
                    account_id=marker.account_id,
                    categories=",".join(c.value for c in marker.categories),
                    placed_at_us=micros(marker.placed_at),
                    expires_at_us=_us(marker.expires_at),
                    released_at_us=_us(marker.released_at),
                )
            )

    def holds(self, account_id: str | None = None) -> list[HoldMarker]:
        self._check_owner()
        with self.engine.connect() as conn:
            return self._markers(conn, account_id)

    def _markers(self, conn: Connection, account_id: str | None) -> list[HoldMarker]:
        query = select(holds).order_by(holds.c.placed_at_us, holds.c.hold_id)
        if account_id is not None:
            query = query.where(holds.c.account_id == account_id)
        return [_marker(row) for row in conn.execute(query)]

    def _holding(
        self, conn: Connection, account_id: str, category: Category, now: datetime
    ) -> HoldMarker | None:
        return next(
            (m for m in self._markers(conn, account_id) if m.covers(account_id, category, now)),
            None,
        )

    @staticmethod
    def _lock(conn: Connection) -> None:
        """Serialise deletions and hold changes in this region (PostgreSQL: a row lock on the
        store's own row; SQLite's BEGIN IMMEDIATE already serialises writers)."""
        own_row = store_meta.c.name == "region"
        conn.execute(select(store_meta.c.value).where(own_row).with_for_update())

    def set_wrapped_keys(self, updates: Iterable[tuple[str, int, bytes]]) -> None:
        rows = [{"rid": i, "kv": v, "wk": w} for i, v, w in updates]
        if not rows:
            return
        statement = (
            update(records)
            .where(records.c.id == bindparam("rid"))
            .values(key_version=bindparam("kv"), wrapped_key=bindparam("wk"))
        )
        with self._write() as conn:
            conn.execute(statement, rows)

    # -- reading -------------------------------------------------------------------------------

    def read(
        self,
        account_id: str,
        categories: Sequence[Category] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        include_deleted: bool = False,
    ) -> Iterator[SealedRecord]:
        self._check_owner()
        conditions = [records.c.account_id == account_id]
        if categories is not None:
            conditions.append(records.c.category.in_([c.value for c in categories]))
        if start is not None:
            conditions.append(records.c.occurred_at_us >= micros(start))
        if end is not None:
            conditions.append(records.c.occurred_at_us < micros(end))
        if not include_deleted:
            conditions.append(records.c.deleted_at_us.is_(None))
        query = (
            select(records)
            .where(and_(*conditions))
            .order_by(records.c.occurred_at_us, records.c.id)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=200).execute(query)
            for row in result:
                yield _sealed(row)

    def get(self, record_id: str) -> SealedRecord | None:
        self._check_owner()
        with self.engine.connect() as conn:
            row = conn.execute(select(records).where(records.c.id == record_id)).one_or_none()
        return None if row is None else _sealed(row)

    def count(self, account_id: str, category: Category | None = None) -> int:
        self._check_owner()
        query = select(func.count()).select_from(records).where(records.c.account_id == account_id)
        if category is not None:
            query = query.where(records.c.category == category.value)
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def stale_keys(self, current_version: int, limit: int) -> list[SealedRecord]:
        self._check_owner()
        query = (
            select(records)
            .where(records.c.key_version != current_version)
            .order_by(records.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [_sealed(r) for r in conn.execute(query)]
