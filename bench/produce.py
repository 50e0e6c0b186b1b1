"""Production throughput and memory, end to end from an encrypted region store, against the floor.

    .venv/bin/python bench/produce.py                       # ~1 GiB, ~50,000 messages
    .venv/bin/python bench/produce.py --messages 5000 --mib 100
    .venv/bin/python bench/produce.py --mbox --sha512      # the options that cost a pass each
    .venv/bin/python bench/produce.py --first-format       # the package format before options

Builds a mailbox of synthetic RFC 5322 messages (a generator: the messages are never all in memory)
and ingests it into a region's encrypted store (SQLite, AES-256-GCM under a per-record data key
wrapped by the region key), untimed. Then, timed: the regional agent (``LocalRegionAgent``: checks
the signed authorization, reads and decrypts each record) feeds ``produce_package`` (the .eml files
straight into the archive, index, the SHA-256 manifest, the certificate, the signature and the
deterministic tar, fsynced and renamed; with ``--mbox``/``--sha512`` also those options). The
floor for the same promise is timed on the same messages as plain files:
``tar -cf`` of them plus ``sha256sum`` of each. Reports MB/s of message bytes, the ratio
production / floor, and the production's peak RSS. Everything is written under a temporary
directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import cProfile
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
from comity.adapters.signing.authorizations import sign_authorization, verify_authorization
from comity.adapters.signing.ed25519 import SigningKey
from comity.bootstrap import Comity, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.authorization import (
    Authorization,
    PackageOptions,
    RegionGrant,
    SignedAuthorization,
)
from comity.domain.categories import Category
from comity.domain.demand import Period
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.services.accounts import create_account
from comity.services.custody.ingest import ingest
from comity.services.productions.agent import LocalRegionAgent
from comity.services.productions.ports import LawAnswer

DEPLOYMENT = """\
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE"]

[control_plane]
database = "sqlite:///control.db"

[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"
"""
PRODUCED_AT = datetime(2026, 6, 1, tzinfo=UTC)

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


class _Disclose:
    """The law engine's re-check, answering "disclose" for the granted items: its cost is a few
    queries per production, not per byte, and it needs the control plane's demand and rules."""

    def __init__(self, auth: Authorization) -> None:
        self._auth = auth

    def answer(self, demand_id: str, now: datetime) -> LawAnswer:
        pathways = {
            (a, c.value, g.region): "disclose"
            for g in self._auth.grants
            for a in g.accounts
            for c in g.categories
        }
        return LawAnswer(pathways, None, now.date().isoformat())


class _At:
    @staticmethod
    def now() -> datetime:
        return PRODUCED_AT


def _region(home: Path, count: int, mean: int) -> Comity:
    """A deployment whose eu-ie store holds the messages, sealed as ``comity ingest`` seals them."""
    home.mkdir()
    (home / "comity.toml").write_text(DEPLOYMENT)
    comity = open_deployment(home)
    comity.ensure_audit_key()
    comity.migrate()
    comity.prepare_regions()
    account = Account("acct-0001", (Selector("email", "target@example.com"),), "eu-ie", {})
    create_account(comity.uow, account, actor="bench", clock=comity.clock)
    ingest(
        comity.uow,
        comity.region_store,
        "acct-0001",
        lambda: messages(count, mean),
        kind="bench",
        source="bench",
        actor="bench",
        clock=comity.clock,
    )
    return comity


def _sha256sum(directory: Path) -> None:
    files = sorted(str(p) for p in directory.iterdir())
    for start in range(0, len(files), 2000):
        subprocess.run(
            ["sha256sum", *files[start : start + 2000]], check=True, stdout=subprocess.DEVNULL
        )


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--mib", type=int, default=1024, help="total size of the messages")
    parser.add_argument("--tmp", type=Path, default=None, help="where to write (default: $TMPDIR)")
    parser.add_argument("--mbox", action="store_true", help="package option: an mbox per account")
    parser.add_argument("--sha512", action="store_true", help="package option: SHA-512 manifests")
    parser.add_argument(
        "--first-format",
        action="store_true",
        help="an authorization without options: the first package format (mbox, SHA-512, spool)",
    )
    parser.add_argument("--profile", type=Path, default=None, help="write a cProfile of produce")
    parser.add_argument("--ingest-into", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    options = None if args.first_format else PackageOptions(args.mbox, args.sha512)
    mean = args.mib * (1 << 20) // args.messages
    if args.ingest_into is not None:
        _region(args.ingest_into, args.messages, mean)  # in its own process: see below
        return
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
            package=options,
        ),
        control,
    )
    request = ProductionRequest(
        auth,
        DemandInfo("BENCH-1", "Bench Court", None, "US"),
        Custodian("Bench Custodian", "Custodian of Records", "Example Mail Inc."),
        PRODUCED_AT,
    )
    work = Path(tempfile.mkdtemp(prefix="comity-bench-", dir=args.tmp))
    try:
        total = sum(len(r.body) for r in messages(args.messages, mean))
        started = time.perf_counter()
        # Ingest in a child process, so the peak RSS below is the production's alone.
        home = work / "deployment"
        subprocess.run(
            [
                sys.executable,
                __file__,
                *("--messages", str(args.messages), "--mib", str(args.mib)),
                *("--ingest-into", str(home)),
            ],
            check=True,
        )
        ingest_s = time.perf_counter() - started
        comity = open_deployment(home)
        keys = [control.public]

        def verify(s: SignedAuthorization, now: datetime, region: str) -> Authorization:
            return verify_authorization(s, keys, now=now, region=region)

        agent = LocalRegionAgent(
            comity.region_store("eu-ie"), verify, _Disclose(auth.authorization), _At()
        )
        base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu0 = _cpu(resource.RUSAGE_SELF)
        profile = cProfile.Profile() if args.profile else None
        started = time.perf_counter()
        if profile is not None:
            profile.enable()
        produced = produce_package(
            work / "package.tar",
            request,
            [("eu-ie", agent.release(auth))],
            signing_key=provider,
            control_plane_keys=keys,
        )
        produce_s = time.perf_counter() - started
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        produce_cpu = _cpu(resource.RUSAGE_SELF) - cpu0
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if produced.record_count != args.messages:
            raise SystemExit(f"the package holds {produced.record_count} records, not all")
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
        _sha256sum(plain)
        floor_s = time.perf_counter() - started
        floor_cpu = _cpu(resource.RUSAGE_CHILDREN) - tar_cpu0
        mb = total / 1e6
        print(f"messages:             {args.messages} ({mb:.1f} MB)")
        print(f"package options:      {options or 'none (first format: mbox, SHA-512)'}")
        print(f"ingest (untimed):     {ingest_s:.1f} s into the encrypted eu-ie store")
        print(
            f"package:              {produced.size / 1e6:.1f} MB, sha256 {produced.sha256[:16]}..."
        )
        print(f"produce (from store): {produce_s:.2f} s, {mb / produce_s:.1f} MB/s")
        print(f"tar -cf:              {tar_s:.2f} s, {mb / tar_s:.1f} MB/s")
        print(f"floor tar + sha256sum: {floor_s:.2f} s, {mb / floor_s:.1f} MB/s")
        print(f"ratio (produce speed / floor speed): {floor_s / produce_s:.2f} (goal >= 0.7)")
        print(f"CPU s (user+sys):     produce {produce_cpu:.2f}, floor {floor_cpu:.2f}")
        print(f"peak RSS:             {peak_rss / 1024:.0f} MB (before: {base_rss / 1024:.0f} MB)")
        print(f"load average:         {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
