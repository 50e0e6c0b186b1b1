"""Bad download tokens while another process writes to a SQLite control plane.

    .venv/bin/python bench/bad_tokens.py                  # 3 s of bad tokens each way
    .venv/bin/python bench/bad_tokens.py --seconds 10 --hold-ms 50

In one SQLite deployment with a published production, a writer process (its own connection:
``BEGIN IMMEDIATE``, hold the lock ``--hold-ms``, commit, pause ``--gap-ms``, over and over) runs
while unknown tokens are opened one after another for ``--seconds`` through
``ProductionService.open_download``: as it is (the token checked in a read-only transaction)
and, the baseline, with no reader (``read=None``: the check runs in the write unit of work, as
before). Reports, each way, the time per bad token (median, 95th percentile, worst) and what the
writer suffered meanwhile: its wait for the lock and its commits per second. Every bad token
must end in the 404 (``NotFound``).
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing
import sqlite3
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.production_support import ProductionWorld, approve, build, submit

from comity.errors import NotFound
from comity.services.productions.produce import ProductionService


def write_until_told(database: str, hold: float, gap: float, pipe: Connection) -> None:
    """The other process's writer: take the write lock, hold it, commit, again and again until
    the pipe says stop; then send back (when each wait for the lock ended, how long it was)."""
    conn = sqlite3.connect(database, timeout=30, isolation_level=None)
    conn.execute("CREATE TABLE IF NOT EXISTS bench_writer (n INTEGER)")
    waits = []
    pipe.send("ready")
    while not pipe.poll():
        started = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        got = time.perf_counter()
        waits.append((got, got - started))
        conn.execute("INSERT INTO bench_writer VALUES (1)")
        time.sleep(hold)
        conn.execute("COMMIT")
        time.sleep(gap)
    conn.close()
    pipe.send(waits)


def bad_tokens(service: ProductionService, pw: ProductionWorld, seconds: float) -> list[float]:
    """Unknown tokens one after another for ``seconds``: the seconds each took (each a 404)."""
    took: list[float] = []
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        started = time.perf_counter()
        try:
            service.open_download(pw.downloader, f"dl_not-a-token-{len(took)}")
        except NotFound:
            took.append(time.perf_counter() - started)
        else:
            raise AssertionError("an unknown token opened a download")
    return took


def spread(times: list[float]) -> str:
    """Median, 95th percentile and worst, in milliseconds."""
    ordered = sorted(times)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (
        f"median {statistics.median(ordered) * 1000:7.2f}  p95 {p95 * 1000:7.2f}  "
        f"worst {ordered[-1] * 1000:7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="of bad tokens, each way")
    parser.add_argument("--hold-ms", type=float, default=20.0)
    parser.add_argument("--gap-ms", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pw = build(Path(tmp) / "dep")
        demand_id = submit(pw)
        approve(pw, demand_id)
        pw.comity.productions.produce(pw.admin, demand_id)
        ways = {
            "read-only check": pw.comity.productions,
            "baseline (write lock)": dataclasses.replace(pw.comity.productions, read=None),
        }
        ours, theirs = multiprocessing.Pipe()
        writer = multiprocessing.get_context("spawn").Process(
            target=write_until_told,
            args=(
                str(pw.comity.home / "control.db"),
                args.hold_ms / 1000,
                args.gap_ms / 1000,
                theirs,
            ),
        )
        writer.start()
        assert ours.recv() == "ready"
        time.sleep(0.3)
        phases = {}
        for name, service in ways.items():
            start = time.perf_counter()
            tokens = bad_tokens(service, pw, args.seconds)
            phases[name] = (start, time.perf_counter(), tokens)
        ours.send("stop")
        waits: list[tuple[float, float]] = ours.recv()
        writer.join()
    most = 1000 / (args.hold_ms + args.gap_ms)
    print(
        f"{args.seconds:g} s of bad tokens each way; the writer holds the lock "
        f"{args.hold_ms:g} ms, then pauses {args.gap_ms:g} ms (at most {most:.0f} commits/s)"
    )
    for name, (start, end, tokens) in phases.items():
        theirs_then = [wait for at, wait in waits if start <= at <= end]
        print(f"{name:22} {len(tokens):6} bad tokens, each {spread(tokens)}")
        print(
            f"{'':22} the writer: {len(theirs_then) / (end - start):5.1f} commits/s, "
            f"waits {spread(theirs_then)}"
        )


if __name__ == "__main__":
    main()
