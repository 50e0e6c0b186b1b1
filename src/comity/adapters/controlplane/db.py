"""Engines for the control-plane database: SQLite by default, PostgreSQL when configured."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

#: Seconds a SQLite connection waits for a lock before "database is locked" (the driver's
#: ``timeout``); a writer waits as long for its turn among this process's writers.
SQLITE_LOCK_TIMEOUT = 30.0


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
    engine = create_engine(url, connect_args=_connect_args())
    _on_connect(engine, pragmas)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin(conn))

    return engine


def _connect_args(**extra: Any) -> dict[str, Any]:
    """The driver's arguments for every SQLite engine: a busy time-out, connections usable from
    the thread pool's threads."""
    return {"timeout": SQLITE_LOCK_TIMEOUT, "check_same_thread": False, **extra}


def _on_connect(engine: Engine, pragmas: Sequence[str], **attributes: Any) -> None:
    """On every new connection: autocommit off at the driver (the engine begins transactions
    itself), ``attributes`` set on the connection, then ``pragmas``."""

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        for name, value in attributes.items():
            setattr(dbapi_conn, name, value)
        cur = dbapi_conn.cursor()
        for pragma in pragmas:
            cur.execute(f"PRAGMA {pragma}")
        cur.close()


class WriterQueue:
    """This process's writers to one SQLite database, taking the write lock one after another.

    SQLite lets one writer in at a time (``BEGIN IMMEDIATE``); the others wait in the driver's
    busy handler, which sleeps and retries in growing steps (1, 2, 5, ... up to 100 ms between
    tries) and does not queue: the lock can sit free while every waiter sleeps, and a waiter can
    lose its turn again and again to ones that arrived later. Under the load benchmark that
    was the whole tail of submissions and case actions (docs/benchmarks.md, issue 20, fourth
    pass: 230-500 ms waiting in ``BEGIN IMMEDIATE`` for transactions of a few milliseconds).
    Here the writers of one process wait on a lock of their own, which hands the turn to the
    next writer as soon as the last one commits or rolls back; only one writer per process at a
    time waits on SQLite's lock, for writers of other processes (a second worker, the CLI).
    """

    def __init__(self, timeout: float = SQLITE_LOCK_TIMEOUT) -> None:
        self._lock = threading.Lock()
        self.timeout = timeout

    def enter(self) -> None:
        """Wait for this process's turn to write; "database is locked" after ``timeout``, as
        the driver's own wait ends."""
        if not self._lock.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError("database is locked")

    def leave(self) -> None:
        self._lock.release()

    def busy(self) -> bool:
        """Whether a writer of this process has the turn (for tests)."""
        return self._lock.locked()


_queues: dict[str, WriterQueue] = {}
_queues_lock = threading.Lock()


def _forget_queues_in_child() -> None:
    """A forked child has its own writers: it must not inherit a turn a parent's thread held."""
    global _queues_lock  # noqa: PLW0603 - replaced, not mutated: it may have been held at fork
    _queues_lock = threading.Lock()
    _queues.clear()


os.register_at_fork(after_in_child=_forget_queues_in_child)


def writer_queue(database: str) -> WriterQueue:
    """The one queue of this process's writers to ``database`` (a file path), whichever engine
    they write through."""
    key = os.path.realpath(database)
    with _queues_lock:
        return _queues.setdefault(key, WriterQueue())


class _QueuedWriter(sqlite3.Connection):
    """A SQLite connection that gives the writers' turn back when its transaction ends.

    The turn is taken before ``BEGIN IMMEDIATE`` (``make_engine``'s begin hook) and given back
    after the transaction's ``COMMIT`` or ``ROLLBACK`` (SQLAlchemy ends every transaction, and
    resets every connection returned to its pool, through these two methods), or when the
    connection closes.
    """

    queue: WriterQueue | None = None
    has_turn = False

    def take_turn(self) -> None:
        assert self.queue is not None
        self.queue.enter()
        self.has_turn = True

    def give_turn_back(self) -> None:
        if self.has_turn and self.queue is not None:
            self.has_turn = False
            self.queue.leave()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.give_turn_back()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.give_turn_back()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.give_turn_back()


def _queued_sqlite_engine(url: str, pragmas: Sequence[str]) -> Engine:
    """``sqlite_engine`` whose transactions are ``BEGIN IMMEDIATE``, in this process's writers'
    queue for the database (``WriterQueue``)."""
    engine = create_engine(url, connect_args=_connect_args(factory=_QueuedWriter))
    database = engine.url.database
    queue = writer_queue(database) if database and database != ":memory:" else None
    _on_connect(engine, pragmas, queue=queue)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        raw = conn.connection.dbapi_connection
        if isinstance(raw, _QueuedWriter) and raw.queue is not None:
            try:
                raw.take_turn()
            except sqlite3.OperationalError as exc:  # as if SQLite's own wait had ended
                raise DBAPIError.instance("BEGIN IMMEDIATE", None, exc, sqlite3.Error) from exc
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                raw.give_turn_back()
                raise
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_engine(url: str) -> Engine:
    """An engine with SQLite set up for safe concurrent use: WAL, foreign keys, a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # IMMEDIATE takes the write lock at the start, so two writers (two processes appending
        # to the audit log) queue instead of failing on a read-to-write lock upgrade; within a
        # process they queue on a lock of their own (``WriterQueue``).
        return _queued_sqlite_engine(
            url, ["journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"]
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
