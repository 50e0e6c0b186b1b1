"""Audit log benchmark: Comity's SQL Merkle log against pymerkle's SqliteTree on the same entries.

Usage: ``.venv/bin/python bench/audit.py [--n 1000000] [--batch 10000] [--single 2000]``

Both stores are SQLite files on the same disk, both durable: Comity's engine runs WAL with
``synchronous=FULL`` here (the deployment default is NORMAL), pymerkle keeps sqlite3's defaults
(rollback journal, FULL). Measured, in one run:

- bulk append of N entries: Comity ``record_many`` in transactions of ``--batch`` entries (each
  commit also signs and stores a checkpoint) vs pymerkle ``append_entries`` (one transaction);
- one entry per transaction for ``--single`` entries: Comity ``record`` + commit (+ checkpoint)
  vs pymerkle ``append_entry``; the time for N this way is *extrapolated* from that rate;
- inclusion proofs at size N (random indexes; Comity proofs are checked against the root),
  a consistency proof, database sizes, and Comity's full ``verify`` of the N-entry log.

Both get their input ready-made (Comity: AuditEvent objects, whose canonical JSON it builds and
stores; pymerkle: those JSON bytes), built outside the timed regions.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymerkle import SqliteTree
from sqlalchemy import event

from comity.adapters.audit.verify import verify_log
from comity.bootstrap import Comity, initialise, open_deployment
from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.merkle import leaf_hash
from comity.domain.merkle_proofs import verify_consistency, verify_inclusion

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def make_event(i: int) -> AuditEvent:
    return AuditEvent.of(
        T0 + timedelta(microseconds=i), "bench", AuditAction.ACCOUNT_CREATED, f"item/{i}", {"i": i}
    )


def durable(comity: Comity) -> None:
    @event.listens_for(comity.engine, "connect")
    def _full(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def latencies(fn: Callable[[int], object], indexes: list[int]) -> list[float]:
    out = []
    for i in indexes:
        start = time.perf_counter()
        fn(i)
        out.append(time.perf_counter() - start)
    return out


def ms(values: list[float]) -> str:
    values = sorted(values)
    p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
    return f"median {statistics.median(values) * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms"


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def batches(n: int, size: int) -> Iterator[range]:
    for start in range(0, n, size):
        yield range(start, min(start + size, n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="entries in the bulk run")
    parser.add_argument("--batch", type=int, default=10_000, help="entries per transaction")
    parser.add_argument("--single", type=int, default=2_000, help="one-per-transaction entries")
    parser.add_argument("--proofs", type=int, default=1000, help="inclusion proofs to time")
    parser.add_argument("--pymerkle-proofs", type=int, default=20)
    args = parser.parse_args()
    n = args.n
    work = Path(tempfile.mkdtemp(prefix="comity-bench-audit-"))
    entries = [make_event(i).canonical() for i in range(n)]
    rng = random.Random(5)
    print(f"# audit log benchmark, N={n:,}, batch={args.batch:,}, single={args.single:,}")
    print(f"# python {sys.version.split()[0]}, work dir {work}")

    # --- Comity, bulk ---
    initialise(work / "comity", demo=False)
    comity = open_deployment(work / "comity")
    durable(comity)

    t_bulk = 0.0
    for chunk in batches(n, args.batch):
        events = [make_event(i) for i in chunk]  # built outside the clock, like pymerkle's input

        def append(events: list[AuditEvent] = events) -> None:
            with comity.uow() as uow:
                uow.audit.record_many(events)
                uow.commit()

        t_bulk += timed(append)
    db = work / "comity" / "control.db"
    raw = sqlite3.connect(db)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    c_size = size_of(db)
    print(f"comity bulk append: {n / t_bulk:,.0f} entries/s ({t_bulk:.1f} s)")

    # --- Comity, proofs at N ---
    picks = [rng.randrange(n) for _ in range(args.proofs)]
    with comity.uow() as uow:
        log = uow.audit
        root = log.root_at(n)
        c_inc = latencies(lambda i: log.inclusion_proof(i, n), picks)
        for i in picks[:50]:
            proof = log.inclusion_proof(i, n)
            assert verify_inclusion(i, n, leaf_hash(entries[i]), proof, root)
        first = n // 3 + 1
        c_con = latencies(lambda m: log.consistency_proof(m, n), [first] * 50)
        assert verify_consistency(
            first, n, log.root_at(first), root, log.consistency_proof(first, n)
        )
    print(f"comity inclusion proof at {n:,}: {ms(c_inc)}")
    print(f"comity consistency proof {first:,}->{n:,}: {ms(c_con)}")
    signer = comity.audit_signer
    assert signer is not None
    with comity.uow() as uow:
        t_verify = timed(lambda: verify_log(uow.session, signer.verifier_key))
    print(f"comity verify (recompute all, check all checkpoints): {t_verify:.1f} s")

    # --- Comity, one per transaction ---
    initialise(work / "comity1", demo=False)
    single = open_deployment(work / "comity1")
    durable(single)

    t_single = 0.0
    for i in range(args.single):
        ev = make_event(i)

        def one(ev: AuditEvent = ev) -> None:
            with single.uow() as uow:
                uow.audit.record(ev)
                uow.commit()

        t_single += timed(one)
    print(f"comity one per transaction: {args.single / t_single:,.0f} entries/s")

    # --- pymerkle ---
    ptree = SqliteTree(str(work / "pymerkle.db"))
    t_pbulk = timed(lambda: ptree.append_entries(entries))
    p_size = size_of(work / "pymerkle.db")
    print(f"pymerkle bulk append: {n / t_pbulk:,.0f} entries/s ({t_pbulk:.1f} s)")
    same_root = ptree.get_root() == root
    print(f"pymerkle root equals comity root: {same_root}")
    p_picks = picks[: args.pymerkle_proofs]
    p_inc = latencies(lambda i: ptree.prove_inclusion(i + 1, n), p_picks)
    print(f"pymerkle inclusion proof at {n:,}: {ms(p_inc)} ({len(p_picks)} proofs)")
    ptree.close()
    p1 = SqliteTree(str(work / "pymerkle1.db"))
    t_p1 = timed(lambda: [p1.append_entry(entries[i]) for i in range(args.single)])
    p1.close()
    print(f"pymerkle one per transaction: {args.single / t_p1:,.0f} entries/s")

    c_med, p_med = statistics.median(c_inc), statistics.median(p_inc)
    print()
    print("| measure | Comity | pymerkle SqliteTree | ratio |")
    print("|---|---|---|---|")
    print(
        f"| bulk append, {n:,} entries | {n / t_bulk:,.0f}/s | {n / t_pbulk:,.0f}/s | "
        f"{t_pbulk / t_bulk:.2f}x |"
    )
    print(
        f"| one per transaction ({args.single:,} measured) | {args.single / t_single:,.0f}/s | "
        f"{args.single / t_p1:,.0f}/s | {t_p1 / t_single:.2f}x |"
    )
    print(
        f"| {n:,} one per transaction (extrapolated) | {n * t_single / args.single / 60:,.1f} min"
        f" | {n * t_p1 / args.single / 60:,.1f} min | |"
    )
    print(
        f"| inclusion proof at {n:,} (median) | {c_med * 1e3:.3f} ms | {p_med * 1e3:.3f} ms | "
        f"{p_med / c_med:,.0f}x faster |"
    )
    print(
        f"| database size | {c_size / 2**20:,.1f} MiB | {p_size / 2**20:,.1f} MiB | "
        f"{c_size / p_size:.2f}x |"
    )
    print(f"| same root | {same_root} | | |")


if __name__ == "__main__":
    main()
