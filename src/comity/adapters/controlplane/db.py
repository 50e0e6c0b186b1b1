"""Engines for the control-plane database: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs (SQLAlchemy's default driver is psycopg2)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def sqlite_engine(url: str, pragmas: Sequence[str], begin: Callable[[Connection], str]) -> Engine:
    """A SQLite engine that opens its transactions itself.

    Python's sqlite3 opens transactions lazily and implicitly; here autocommit is switched off at
    the driver, ``pragmas`` run on every new connection, and ``begin(conn)`` names the statement
    that starts each transaction (``BEGIN`` or ``BEGIN IMMEDIATE``). The control plane, its
    read-only engine and each regional store differ only in those two choices.
    """
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in pragmas:
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin(conn))

    return engine


def make_engine(url: str) -> Engine:
    """An engine with SQLite set up for safe concurrent use: WAL, foreign keys, a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # IMMEDIATE takes the write lock at the start, so two writers (two processes appending
        # to the audit log) queue instead of failing on a read-to-write lock upgrade.
        return sqlite_engine(
            url,
            ["journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"],
            lambda _conn: "BEGIN IMMEDIATE",
        )
    return create_engine(url, pool_pre_ping=True)


def make_read_engine(url: str) -> Engine:
    """An engine for read-only units of work.

    The control plane's engine starts every SQLite transaction with ``BEGIN IMMEDIATE`` so that
    writers queue instead of failing; a reader does not need the write lock, and taking it would
    serialise every status read of every worker behind every other. In WAL mode a deferred
    ``BEGIN`` reads a consistent snapshot without blocking or being blocked by the writer.
    PostgreSQL needs no special treatment.
    """
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return make_engine(url)
    return sqlite_engine(url, ["foreign_keys=ON", "query_only=ON"], lambda _conn: "BEGIN")
