"""Ingest benchmark: Comity's mbox ingest against a plain SQLite ``executemany`` of the same bytes.

    .venv/bin/python bench/ingest.py                 # 100,000 messages (and 10,000 for memory)
    .venv/bin/python bench/ingest.py --messages 5000 # a quick try

A mailbox of realistic messages (plain and HTML text, attachments with log-normal sizes,
non-ASCII headers, threads; from ``comity.demo.mail``) is written first and not timed.
Then, each in a fresh child process so that peak RSS is its own:

- ``comity``: ``comity.services.custody.ingest`` into a SQLite region: split the mbox, parse
  headers, a content and a traffic record per message, a fresh AES-256-GCM data key per record
  wrapped by the region key, one transaction, and the audit entry.
- ``baseline``: the same splitter, the same message bytes inserted into a plain SQLite table
  (same WAL and synchronous settings) with ``executemany`` in one transaction, no encryption.

Memory: the comity run is repeated on a mailbox a tenth of the size; flat memory means both
peaks are about the same.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from functools import partial
from itertools import cycle, islice
from pathlib import Path

from comity.adapters.mail.mbox import split_mbox
from comity.adapters.mail.sources import mbox_records
from comity.bootstrap import initialise, open_deployment
from comity.demo.mail import DEMO_EPOCH, synthetic_messages
from comity.domain.accounts import Account, Selector
from comity.services.accounts import create_account
from comity.services.custody.ingest import ingest

POOL = 600


def write_mbox(path: Path, count: int, seed: int = 1) -> int:
    """Write ``count`` messages (a pool of distinct ones, each copy made unique); return bytes."""
    pool = list(
        synthetic_messages(
            random.Random(seed), ("Bench User", "bench@example.com"), POOL, DEMO_EPOCH
        )
    )
    size = 0
    with path.open("wb") as out:
        for n, msg in enumerate(islice(cycle(pool), count)):
            data = f"X-Bench-Seq: {n}\r\n".encode() + msg
            out.write(b"From bench@example.com Mon Jan  7 09:00:00 2013\n")
            out.write(data.replace(b"\nFrom ", b"\n>From "))
            out.write(b"\n")
            size += len(data)
    return size


def run_comity(mbox: Path, work: Path) -> dict[str, float]:
    initialise(work, demo=False)
    comity = open_deployment(work)
    account = Account("bench", (Selector("email", "bench@example.com"),), "us-west")
    create_account(comity.uow, account, actor="bench", clock=comity.clock)
    start = time.perf_counter()
    report = ingest(
        comity.uow,
        comity.region_store,
        "bench",
        partial(mbox_records, mbox, "bench", comity.clock.now()),
        kind="mbox",
        source=mbox.name,
        actor="bench",
        clock=comity.clock,
    )
    elapsed = time.perf_counter() - start
    return {"seconds": elapsed, "messages": report.new.get("content", 0)}


def run_baseline(mbox: Path, work: Path) -> dict[str, float]:
    db = sqlite3.connect(work / "plain.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    start = time.perf_counter()
    count = 0
    db.execute("BEGIN")
    batch: list[tuple[int, bytes]] = []
    with mbox.open("rb") as stream:
        for message in split_mbox(stream, str(mbox)):
            batch.append((count, message.data))
            count += 1
            if len(batch) >= 500:
                db.executemany("INSERT INTO messages VALUES (?, ?)", batch)
                batch = []
    db.executemany("INSERT INTO messages VALUES (?, ?)", batch)
    db.execute("COMMIT")
    return {"seconds": time.perf_counter() - start, "messages": count}


def child(kind: str, mbox: Path, work: Path) -> dict[str, float]:
    """Run one measurement in a fresh process; add its peak RSS (MiB)."""
    work.mkdir(parents=True)
    proc = subprocess.Popen(
        [sys.executable, __file__, "--worker", kind, "--mbox", str(mbox), "--work", str(work)],
        stdout=subprocess.PIPE,
    )
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed with status {proc.returncode}")
    return json.loads(out)


def worker(kind: str, mbox: Path, work: Path) -> None:
    result = (run_comity if kind == "comity" else run_baseline)(mbox, work)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mib"] = usage.ru_maxrss / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="scratch directory (default: tmp)")
    parser.add_argument("--worker", choices=["comity", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--mbox", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.mbox, args.work)
        return
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="comity-bench-") as tmp:
        root = Path(tmp)
        big, small = root / "big.mbox", root / "small.mbox"
        n_small = max(1, args.messages // 10)
        size = write_mbox(big, args.messages)
        write_mbox(small, n_small)
        print(
            f"mailbox: {args.messages} messages, {size / 1e6:.1f} MB "
            f"(mean {size / args.messages / 1024:.1f} KiB)"
        )
        base = child("baseline", big, root / "baseline")
        ours = child("comity", big, root / "comity")
        smaller = child("comity", small, root / "comity-small")
        rows = [("baseline (plain executemany)", base), ("comity ingest", ours)]
        for name, r in rows:
            print(
                f"{name:30} {r['messages'] / r['seconds']:9.0f} msg/s "
                f"{size / 1e6 / r['seconds']:7.1f} MB/s  peak RSS {r['peak_rss_mib']:6.0f} MiB  "
                f"{r['seconds']:6.1f} s wall, {r['cpu_seconds']:6.1f} s CPU (whole process)"
            )
        ratio = (ours["messages"] / ours["seconds"]) / (base["messages"] / base["seconds"])
        print(f"ratio comity/baseline: {ratio:.2f} (goal >= 0.5)")
        print(
            f"peak RSS of comity ingest: {smaller['peak_rss_mib']:.0f} MiB at {n_small} messages, "
            f"{ours['peak_rss_mib']:.0f} MiB at {args.messages} messages"
        )


if __name__ == "__main__":
    main()
