"""What a durable production part costs (ADR 0012) over the one-stream path, in one run.

    .venv/bin/python bench/parts.py                         # 5,000 messages, ~100 MiB
    .venv/bin/python bench/parts.py --messages 20000 --kib 20

Both paths start from the same decrypted records (what the agent reads from the region store
costs the same either way) and end with the records decoded from the agent's wire framing, as the
control plane receives them:

- **stream**: framing encode, then decode (``POST /release``);
- **part**: seal every record into a part file under the region's keyring (AES-256-GCM, one data
  key per part), fsync and rename, as the worker does; then open it, decrypt, encode and decode
  (``POST /parts/records``).

The package writer, the network and the law re-check are the same on both paths and left out.
Reports MB/s of message bytes for each and the ratio part / stream (how much slower the durable
path's extra work is). Files go under a temporary directory removed at the end.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from comity.adapters.agent.framing import decode, encode
from comity.adapters.agent.part_file import SealedPartFiles
from comity.adapters.regions.keyring_file import FileKeyring
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record

T0 = datetime(2013, 6, 1, tzinfo=UTC)


def messages(count: int, kib: int, seed: int) -> list[Record]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        size = max(256, int(rng.expovariate(1 / (kib * 1024))))
        body = (
            f"From: s{n}@example.org\r\nTo: target@example.com\r\nSubject: {n}\r\n\r\n".encode()
            + rng.randbytes(size)
        )
        out.append(
            Record(
                f"msg-{n}",
                "acct-0001",
                Category.CONTENT,
                T0 + timedelta(seconds=n),
                body,
                MEDIA_TYPE_MESSAGE,
            )
        )
    return out


def wire(records: Iterator[Record] | list[Record]) -> int:
    return sum(len(r.body) for r in decode(encode(records), source="bench"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--kib", type=int, default=20, help="mean message size")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rounds", type=int, default=3, help="best of N for each path")
    args = parser.parse_args()
    records = messages(args.messages, args.kib, args.seed)
    total = sum(len(r.body) for r in records)
    with tempfile.TemporaryDirectory(prefix="comity-bench-parts-") as tmp:
        keyring = FileKeyring("eu-ie", Path(tmp) / "eu-ie.key")
        keyring.ensure()
        parts = SealedPartFiles("eu-ie", Path(tmp) / "parts", keyring)
        stream_best = part_best = float("inf")
        for round_ in range(args.rounds):
            start = time.perf_counter()
            assert wire(records) == total
            stream_best = min(stream_best, time.perf_counter() - start)
            start = time.perf_counter()
            parts.write(f"auth-{round_}", records)
            assert wire(parts.read(f"auth-{round_}")) == total
            part_best = min(part_best, time.perf_counter() - start)
            parts.remove(f"auth-{round_}")
    mb = total / 1e6
    print(f"{args.messages} messages, {mb:.1f} MB of message bytes, best of {args.rounds}")
    for label, took in (("stream", stream_best), ("part", part_best)):
        print(f"{label:>6}: {took:6.2f} s  {mb / took:7.1f} MB/s")
    print(f"part / stream: {part_best / stream_best:.2f}x the time")


if __name__ == "__main__":
    main()
