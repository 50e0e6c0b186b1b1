"""A process's writers to a SQLite control plane take the write lock in turn (``WriterQueue``).

The turn is taken before ``BEGIN IMMEDIATE`` and given back when the transaction ends, however
it ends (commit, rollback, a failed statement, the connection closed), so the next writer of the
process starts at once instead of sleeping in SQLite's busy handler; readers never take it.
A writer that cannot get its turn in time fails as SQLite's own wait does ("database is
locked") and loses nothing already stored.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from comity.adapters.controlplane import db
from comity.adapters.controlplane.db import make_engine, make_read_engine, writer_queue


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[sa.Engine, db.WriterQueue]]:
    path = tmp_path / "control.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER NOT NULL)")
    yield engine, writer_queue(str(path))
    engine.dispose()


def _count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one())


def test_the_turn_is_held_for_the_transaction_and_given_back_on_commit(
    database: tuple[sa.Engine, db.WriterQueue],
) -> None:
    engine, queue = database
    with engine.connect() as conn:
        assert not queue.busy()
        with conn.begin():
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            assert queue.busy()
        assert not queue.busy()
    assert _count(engine) == 1


def test_the_turn_is_given_back_on_rollback_and_on_a_failed_statement(
    database: tuple[sa.Engine, db.WriterQueue],
) -> None:
    engine, queue = database
    with engine.connect() as conn:
        trans = conn.begin()
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        trans.rollback()
        assert not queue.busy()
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (NULL)")
    assert not queue.busy()
    assert _count(engine) == 0


def test_the_turn_is_given_back_when_the_connection_closes_mid_transaction(
    database: tuple[sa.Engine, db.WriterQueue],
) -> None:
    engine, queue = database
    conn = engine.connect()
    conn.begin()
    conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert queue.busy()
    conn.invalidate()  # the raw connection is closed, the transaction with it
    assert not queue.busy()
    assert _count(engine) == 0


def test_readers_do_not_take_the_turn(
    database: tuple[sa.Engine, db.WriterQueue], tmp_path: Path
) -> None:
    engine, queue = database
    reader = make_read_engine(f"sqlite:///{tmp_path / 'control.db'}")
    with engine.connect() as writer, writer.begin():
        writer.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert queue.busy()
        with reader.connect() as conn:  # WAL: a reader sees the last commit, without waiting
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 0
    reader.dispose()


def test_a_second_writer_waits_for_the_first_and_then_writes(
    database: tuple[sa.Engine, db.WriterQueue],
) -> None:
    engine, queue = database
    order: list[str] = []
    second_started = threading.Event()

    def second() -> None:
        second_started.set()
        with engine.begin() as conn:
            order.append("second")
            conn.exec_driver_sql("INSERT INTO t VALUES (2)")

    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        thread = threading.Thread(target=second)
        thread.start()
        second_started.wait(10)
        thread.join(0.2)  # it cannot finish: the first writer has the turn
        assert thread.is_alive()
        order.append("first")
    thread.join(10)
    assert order == ["first", "second"]
    assert _count(engine) == 2
    assert not queue.busy()


def test_a_writer_that_cannot_get_its_turn_fails_as_sqlite_would_and_loses_nothing(
    database: tuple[sa.Engine, db.WriterQueue], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, queue = database
    monkeypatch.setattr(queue, "timeout", 0.05)
    failures: list[BaseException] = []

    def late() -> None:
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (2)")
        except OperationalError as exc:
            failures.append(exc)

    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        thread = threading.Thread(target=late)
        thread.start()
        thread.join(10)
    assert len(failures) == 1
    assert "database is locked" in str(failures[0])
    assert _count(engine) == 1
    assert not queue.busy()


def test_many_threads_writing_at_once_all_commit(
    database: tuple[sa.Engine, db.WriterQueue],
) -> None:
    engine, queue = database
    threads, each = 12, 20

    def work() -> None:
        for _ in range(each):
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(60)
    assert _count(engine) == threads * each
    assert not queue.busy()


def test_engines_on_the_same_file_share_one_queue(tmp_path: Path) -> None:
    path = tmp_path / "control.db"
    assert writer_queue(str(path)) is writer_queue(str(tmp_path / "." / "control.db"))
    assert writer_queue(str(path)) is not writer_queue(str(tmp_path / "other.db"))


def test_a_forked_child_does_not_inherit_a_turn_its_parent_holds(
    database: tuple[sa.Engine, db.WriterQueue], tmp_path: Path
) -> None:
    engine, queue = database
    ctx = multiprocessing.get_context("fork")
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert queue.busy()
        child = ctx.Process(target=_child_checks_its_queue, args=(str(tmp_path / "control.db"),))
        child.start()
        child.join(30)
    assert child.exitcode == 0


def _child_checks_its_queue(path: str) -> None:
    if writer_queue(path).busy():
        raise SystemExit(1)
