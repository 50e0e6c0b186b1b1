"""Producing one account from a Dovecot IMAP server against a bare ``imaplib`` fetch of the same
messages, in the same run.

    .venv/bin/python bench/sources.py                     # 10,000 messages of ~4 KiB
    .venv/bin/python bench/sources.py --messages 2000
    .venv/bin/python bench/sources.py --profile /tmp/sources.prof   # cProfile of the production

Starts a private Dovecot (as the tests do: Debian's dovecot-imapd, a master user, a loopback
port, everything under a temporary directory), delivers the messages into one Maildir, then
times, in this order and after one untimed warm-up fetch:

1. a bare fetch: one master-user ``imaplib`` session, ``EXAMINE INBOX``, ``UID FETCH`` of
   ``BODY.PEEK[]`` in batches of 200, bodies discarded;
2. Comity's IMAP source alone (``ImapSource.iter_records``);
3. a whole production of the account through the region's source: the claim, the authorization,
   the agent's checks, the package with the default options (each message straight into the
   archive, SHA-256 manifest, certificate, signature, tar, fsync), the audit entries. The
   production service is built (its imports done) before the timing starts.

Reports each as messages/s and MB/s of message bytes, and the ratio bare time / production
time (goal >= 0.7), with each step's CPU time (this process's user + system time from
``getrusage``, which the other work on a shared machine disturbs far less than wall time; Dovecot's
own CPU is not in it) and the load average. Needs root (Dovecot serves mail as nobody).
Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import imaplib
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.dovecot_support import MASTER_PASSWORD, MASTER_USER, Dovecot, running_dovecot
from tests.production_support import approve
from tests.source_support import ACCOUNTS, ALICE, build_with_sources, submit_for

from comity.adapters.sources.imap import ImapSource
from comity.domain.accounts import Selector
from comity.domain.categories import Category
from comity.services.custody.source_ports import AccountRef

START = datetime(2013, 6, 1, tzinfo=UTC)
LINE = b"The quick brown fox jumps over the lazy dog; From here on a line mbox quotes.\r\n"


def message(n: int, size: int) -> bytes:
    head = (
        f"From: Sender {n % 97} <s{n % 97}@example.org>\r\nTo: {ALICE}\r\n"
        f"Subject: message {n}\r\nMessage-ID: <{n}.bench@example.org>\r\n"
        f"Date: {(START + timedelta(minutes=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\n"
    ).encode()
    return head + LINE * max(1, (size - len(head)) // len(LINE))


def populate(server: Dovecot, count: int, size: int) -> int:
    server.add_user(ALICE)
    total = 0
    for n in range(count):
        body = message(n, size)
        total += len(body)
        path = server.deliver(ALICE, body, seen=n % 3 == 0)
        when = (START + timedelta(minutes=n)).timestamp()
        os.utime(path, (when, when))
    return total


def bare_fetch(server: Dovecot, batch: int = 200) -> tuple[int, int]:
    conn = imaplib.IMAP4("127.0.0.1", server.port, timeout=60)
    conn.login(f"{ALICE}*{MASTER_USER}", MASTER_PASSWORD)
    conn.select("INBOX", readonly=True)
    _, data = conn.uid("SEARCH", "ALL")
    uids = (data[0] or b"").split()
    count = size = 0
    for i in range(0, len(uids), batch):
        _, items = conn.uid("FETCH", b",".join(uids[i : i + batch]).decode(), "(BODY.PEEK[])")
        for item in items:
            if isinstance(item, tuple):
                count += 1
                size += len(item[1])
    conn.logout()
    return count, size


def source_read(server: Dovecot, secret: Path) -> tuple[int, int]:
    source = ImapSource(
        "mail", url=server.url, master_user=MASTER_USER, password_file=secret, login="{email}"
    )
    ref = AccountRef(ACCOUNTS[ALICE], (Selector("email", ALICE),))
    count = size = 0
    for record in source.iter_records(ref, [Category.CONTENT], None, None):
        count += 1
        size += len(record.body)
    return count, size


def cpu_seconds() -> float:
    """User + system CPU of this process, all its threads (the source's reader, the writer's)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(label: str, run: object, profile: Path | None = None) -> tuple[float, float, int, int]:
    """Runs ``run`` once; returns wall seconds, CPU seconds, messages and bytes."""
    assert callable(run)
    profiler = cProfile.Profile() if profile is not None else None
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    count, size = run()
    if profiler is not None:
        profiler.disable()
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    if profiler is not None and profile is not None:
        profiler.dump_stats(profile)
    print(
        f"{label}: {count} messages, {size / 1e6:.1f} MB in {elapsed:.2f} s, CPU {cpu:.2f} s "
        f"({count / elapsed:.0f} msg/s, {size / 1e6 / elapsed:.1f} MB/s)"
    )
    return elapsed, cpu, count, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=4096, help="bytes per message (about)")
    parser.add_argument(
        "--profile", type=Path, default=None, help="write a cProfile of the production here"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="comity-bench-sources-"))
    try:
        with running_dovecot() as server:
            total = populate(server, args.messages, args.size)
            print(f"delivered {args.messages} messages ({total / 1e6:.1f} MB) to {ALICE}")
            bare_fetch(server)  # warm-up: Dovecot builds its index and cache once
            pw = build_with_sources(work / "dep", server, None)
            secret = pw.comity.home / "secrets" / "eu-ie-imap"
            print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            bare, bare_cpu, n_bare, _ = timed("bare imaplib fetch", lambda: bare_fetch(server))
            source, source_cpu, _, _ = timed(
                "Comity IMAP source read", lambda: source_read(server, secret)
            )
            demand_id = submit_for(pw, [ALICE])
            approve(pw, demand_id)
            # Build the production service (and import the package writer, fpdf among it)
            # untimed: a server does it once, and with PYTHONDONTWRITEBYTECODE set, as on the
            # development machine, fpdf's fontTools is compiled afresh in every process (~10 s).
            assert pw.comity.productions is not None

            def produce() -> tuple[int, int]:
                production = pw.comity.productions.produce(pw.admin, demand_id)
                assert production.record_count is not None
                return production.record_count, total

            prod, prod_cpu, n_prod, _ = timed("Comity production (package)", produce, args.profile)
            assert n_prod == n_bare == args.messages, (n_prod, n_bare)
            print(f"ratio bare fetch time / production time (goal >= 0.7): {bare / prod:.2f}")
            print(f"ratio bare fetch time / source time: {bare / source:.2f}")
            print(
                f"ratio bare fetch CPU / production CPU: {bare_cpu / prod_cpu:.2f} "
                f"(source CPU {source_cpu:.2f} s)"
            )
            print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print(
                f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
                f"{platform.python_version()}, {datetime.now(UTC).date().isoformat()}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
