"""Production package throughput and memory against ``tar -cf`` of the same messages.

    .venv/bin/python bench/produce.py                       # ~1 GiB, ~50,000 messages
    .venv/bin/python bench/produce.py --messages 5000 --mib 100

Builds a mailbox of synthetic RFC 5322 messages (a generator: the messages are never all in memory),
produces its package (the .eml files, the mbox, JSON/CSV, both manifests, the certificate, the
signature and the deterministic tar, fsynced and renamed), then writes the same messages as plain
files and times ``tar -cf`` over them. Reports MB/s of message bytes for both, the ratio, and the
production's peak RSS. Everything is written under a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from comity.adapters.package.certificate import Custodian, DemandInfo
from comity.adapters.package.writer import ProductionRequest, produce_package
from comity.adapters.signing.authorizations import sign_authorization
from comity.adapters.signing.ed25519 import SigningKey
from comity.domain.authorization import Authorization, RegionGrant
from comity.domain.categories import Category
from comity.domain.demand import Period
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record

START = datetime(2013, 1, 1, tzinfo=UTC)
WORDS = (
    b"the of and to in is that for it as was with be by on not he this are or his from at".split()
)


@functools.cache
def text_block(size: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    lines = []
    total = 0
    while total < size:
        line = b" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
        if rng.random() < 0.01:
            line = b"From " + line
        lines.append(line)
        total += len(line) + 2
    return b"\r\n".join(lines)[:size]


def messages(count: int, mean_size: int) -> Iterator[Record]:
    block = text_block(4 << 20)
    rng = random.Random(11)
    for n in range(count):
        size = max(200, int(rng.uniform(0.2, 1.8) * mean_size))
        offset = rng.randrange(0, len(block) - size)
        when = START + timedelta(seconds=n * 600)
        head = (
            f"From: Sender {n % 97} <sender{n % 97}@example.org>\r\nTo: target@example.com\r\n"
            f"Subject: message {n}\r\nMessage-ID: <{n}@example.org>\r\n"
            f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\n"
        ).encode()
        body = head + block[offset : offset + size] + b"\r\n"
        yield Record(f"msg-{n:07d}", "acct-0001", Category.CONTENT, when, body, MEDIA_TYPE_MESSAGE)


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--mib", type=int, default=1024, help="total size of the messages")
    parser.add_argument("--tmp", type=Path, default=None, help="where to write (default: $TMPDIR)")
    args = parser.parse_args()
    mean = args.mib * (1 << 20) // args.messages
    control, provider = SigningKey.generate(), SigningKey.generate()
    auth = sign_authorization(
        Authorization(
            "bench",
            "dem-bench",
            "BENCH-1",
            "sha256:" + "0" * 64,
            (
                RegionGrant(
                    "eu-ie",
                    ("acct-0001",),
                    (Category.CONTENT,),
                    Period(date(2013, 1, 1), date(2030, 1, 1)),
                ),
            ),
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
            "bench",
        ),
        control,
    )
    request = ProductionRequest(
        auth,
        DemandInfo("BENCH-1", "Bench Court", None, "US"),
        Custodian("Bench Custodian", "Custodian of Records", "Example Mail Inc."),
        datetime(2026, 6, 1, tzinfo=UTC),
    )
    work = Path(tempfile.mkdtemp(prefix="comity-bench-", dir=args.tmp))
    try:
        total = sum(len(r.body) for r in messages(args.messages, mean))
        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu0 = _cpu(resource.RUSAGE_SELF)
        started = time.perf_counter()
        produced = produce_package(
            work / "package.tar",
            request,
            [("eu-ie", messages(args.messages, mean))],
            signing_key=provider,
            control_plane_keys=[control.public],
        )
        produce_s = time.perf_counter() - started
        produce_cpu = _cpu(resource.RUSAGE_SELF) - cpu0
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        plain = work / "plain"
        plain.mkdir()
        for record in messages(args.messages, mean):
            (plain / f"{record.id}.eml").write_bytes(record.body)
        tar_cpu0 = _cpu(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            ["tar", "-cf", str(work / "plain.tar"), "-C", str(work), "plain"], check=True
        )
        tar_s = time.perf_counter() - started
        tar_cpu = _cpu(resource.RUSAGE_CHILDREN) - tar_cpu0
        with (work / "plain.tar").open("rb") as f:
            os.fsync(f.fileno())
        tar_sync_s = time.perf_counter() - started
        mb = total / 1e6
        print(f"messages:           {args.messages} ({mb:.1f} MB)")
        print(f"package:            {produced.size / 1e6:.1f} MB, sha256 {produced.sha256[:16]}...")
        print(f"produce:            {produce_s:.2f} s, {mb / produce_s:.1f} MB/s")
        print(f"tar -cf:            {tar_s:.2f} s, {mb / tar_s:.1f} MB/s")
        print(f"tar -cf + fsync:    {tar_sync_s:.2f} s, {mb / tar_sync_s:.1f} MB/s")
        print(f"ratio (vs tar -cf): {tar_s / produce_s:.2f}")
        print(f"CPU s (user+sys):   produce {produce_cpu:.2f}, tar -cf {tar_cpu:.2f}")
        print(f"ratio (vs tar+fsync): {tar_sync_s / produce_s:.2f}")
        print(f"peak RSS:           {peak_rss / 1024:.0f} MB (before: {base_rss / 1024:.0f} MB)")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
