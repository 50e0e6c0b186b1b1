"""A production across two regional agents over mutual TLS against the same production
in-process, in one run (issue 19).

    .venv/bin/python bench/regions.py        # 2 x 5,000 messages, 160 MiB, best of 3
    .venv/bin/python bench/regions.py --messages 200 --mib 4 --repeat 5 --hsm
    bash scripts/with-postgres.sh 55501 .venv/bin/python bench/regions.py --port 18500

Needs PostgreSQL: the server ``COMITY_TEST_PG_URL`` names, else a throw-away cluster that
``scripts/with-postgres.sh`` starts on ``--pg-port`` (as root, like ``make test``); with
``--hsm``, Debian's softhsm2 (``make system-deps``). Set-up, untimed: the deployment of the
multi-host test (``tests/regions_support.py``: a control plane, regions us-west and eu-ie, each
region with its own PostgreSQL database, the deployment's CA and certificates from ``comity pki``'s
code, each agent with its own directory and only its own key), plus an all-SQLite deployment of
the same world; in each, a second target account homed in us-west, and ``--messages`` synthetic
messages (``--mib`` in all) ingested into *each* region (``bench/produce.py``'s generator). Then
``--repeat`` rounds, each producing one fresh approved case (a demand naming both accounts:
subscriber, traffic and content from both regions) three ways, in turn so they share the
machine's background load:

- ``sqlite in-process``: the embedded default, SQLite stores, ``LocalRegionAgent`` per region;
- ``pg in-process``: the same PostgreSQL stores and keyrings as the agents', read in-process (the
  ``reference`` directory of the multi-host test: every region's key, no agents);
- ``two agents, mTLS``: ``comity agent`` per region as its own process over mutual TLS, the
  durable parts path (ADR 0012): each region's part queued in its own database, run by its agent,
  fetched by the control plane when both are done.

Timed: ``ProductionService.produce`` from the call to the published package (the case claimed,
authorized, checked by the agents, records read, package written, signed, published and
logged). Reported per way: best and median, MB/s of message bytes, and the ratios (two agents /
each in-process way); for the agents, where the time went (from the parts' job events in each
region's Procrastinate tables and the production's own callbacks), and the fetch of both done
parts alone. Checked: every package verifies (``comity verify``'s ``check_package``), the
payloads (``data/``) of all ways are byte-identical, and the agents' package is byte-identical
to the in-process path's for the same authorization (the e2e test's check).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import hashlib
import os
import random
import statistics
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import psycopg

from comity.bootstrap import Comity, open_deployment
from comity.bootstrap.package_check import check_package
from comity.domain.accounts import Account, Selector
from comity.domain.authorization import SignedAuthorization
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.services.accounts import create_account
from comity.services.custody.ingest import ingest
from comity.services.productions.parts_ports import PartStatus
from comity.services.productions.ports import Production
from produce import text_block

SECOND = "second@example.com"
TARGETS = [{"type": "email", "value": "target@example.com"}, {"type": "email", "value": SECOND}]
#: Where each target account's messages live: acct-0001's content in eu-ie (the test world's
#: placement), the bench's second account wholly in us-west.
MAILBOXES = {"eu-ie": "acct-0001", "us-west": "acct-0003"}
START = datetime(2013, 1, 2, tzinfo=UTC)  # inside the demand's period (2013-01-01 .. 12-04)
WAYS = ("sqlite in-process", "pg in-process", "two agents, mTLS")


def mail(account: str, count: int, mean: int, seed: int) -> Iterator[Record]:
    """``count`` synthetic RFC 5322 messages of ``account`` (mean ``mean`` bytes), a generator."""
    block = text_block(4 << 20)
    rng = random.Random(seed)
    for n in range(count):
        size = max(200, int(rng.uniform(0.2, 1.8) * mean))
        offset = rng.randrange(0, len(block) - size)
        when = START + timedelta(seconds=n * 300)
        head = (
            f"From: Sender {n % 97} <sender{n % 97}@example.org>\r\nTo: {account}@example.com\r\n"
            f"Subject: message {n}\r\nMessage-ID: <{n}.{account}@example.org>\r\n"
            f"Date: {when.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n\r\n"
        ).encode()
        body = head + block[offset : offset + size] + b"\r\n"
        yield Record(
            f"bench-{account}-{n:06d}", account, Category.CONTENT, when, body, MEDIA_TYPE_MESSAGE
        )


def fill(comity: Comity, count: int, mean: int) -> int:
    """The second target account, and ``count`` messages in each region; their bytes."""
    create_account(
        comity.uow,
        Account("acct-0003", (Selector("email", SECOND),), "us-west", {}),
        actor="bench",
        clock=comity.clock,
    )
    total = 0
    for seed, account in enumerate(sorted(MAILBOXES.values())):
        messages = functools.partial(mail, account, count, mean, seed)
        ingest(
            comity.uow,
            comity.region_store,
            account,
            messages,
            kind="bench",
            source="bench",
            actor="bench",
            clock=comity.clock,
        )
        total += sum(len(r.body) for r in messages())
    return total


@dataclass
class Run:
    """One timed production and what it is made of (wall-clock ``time.time()`` moments)."""

    way: str
    production: Production
    started: float
    ended: float
    first_record: float | None = None
    last_record: float | None = None
    first_look: float | None = None  # the first look at the parts: they are queued
    looks: int = 0
    jobs: dict[str, dict[str, float]] = field(default_factory=dict)  # region -> event -> at
    cpu: Cpu | None = None

    @property
    def seconds(self) -> float:
        return self.ended - self.started


class Watch:
    """The production's own callbacks: records arriving, and each look at the parts."""

    def __init__(self) -> None:
        self.first_record: float | None = None
        self.last_record: float | None = None
        self.first_look: float | None = None
        self.looks = 0

    def progress(self, _region: str, _n: int, _size: int) -> None:
        now = time.time()
        if self.first_record is None:
            self.first_record = now
        self.last_record = now

    def parts(self, _statuses: list[PartStatus]) -> None:
        self.looks += 1
        if self.first_look is None:
            self.first_look = time.time()


def produce(
    way: str, comity: Comity, actor: Any, case_id: str, profile: cProfile.Profile | None = None
) -> Run:
    """Time ``comity``'s production of ``case_id``, from the call to the published package."""
    service = comity.productions  # built (and fpdf imported) before the clock starts
    watch = Watch()
    service.on_parts = watch.parts
    started = time.time()
    if profile is not None:
        profile.enable()
    production = service.produce(actor, case_id, progress=watch.progress)
    if profile is not None:
        profile.disable()
    ended = time.time()
    if production.status != "published":
        raise SystemExit(f"{way}: production {production.id} is {production.status}")
    return Run(
        way,
        production,
        started,
        ended,
        watch.first_record,
        watch.last_record,
        watch.first_look,
        watch.looks,
    )


TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int, children: bool = False) -> float:
    """CPU seconds (user + system) of a process from ``/proc``, with its reaped children's."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0  # it ended between the listing and the read
    used = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    if children:
        used += int(fields[13]) + int(fields[14])  # cutime, cstime
    return used / TICK


def _postmaster(port: int) -> int | None:
    """The PostgreSQL server listening on ``port`` (its command line names it)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"postgres") and f"-p {port}".encode() in b" ".join(argv):
                return int(entry.name)
    return None


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


@dataclass(frozen=True)
class Cpu:
    """CPU seconds so far of the three parties: this process (the control plane, and the
    in-process agents), the two agents' processes, and the PostgreSQL server (its postmaster,
    every backend alive, and the backends that ended)."""

    control: float
    agents: float
    database: float

    @staticmethod
    def now(agent_pids: list[int], postmaster: int | None) -> Cpu:
        mine = os.times()
        database = 0.0
        if postmaster is not None:
            database = _proc_cpu(postmaster, children=True) + sum(
                _proc_cpu(c) for c in _children(postmaster)
            )
        return Cpu(mine.user + mine.system, sum(_proc_cpu(p) for p in agent_pids), database)

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(
            self.control - other.control,
            self.agents - other.agents,
            self.database - other.database,
        )


def job_events(store_url: str, authorization_id: str) -> dict[str, float]:
    """When the region's part job was deferred, started and succeeded (its Procrastinate events,
    in the region's own database), as ``time.time()`` moments."""
    url = store_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT e.type::text, e.at FROM procrastinate_events e "
            "JOIN procrastinate_jobs j ON j.id = e.job_id WHERE j.lock = %s ORDER BY e.id",
            (authorization_id,),
        ).fetchall()
    return {kind: at.timestamp() for kind, at in rows}


def payload(package: Path) -> dict[str, str]:
    """Each ``data/`` file of a package archive, by its path inside the bag: its SHA-256."""
    out = {}
    with tarfile.open(package) as tar:
        for member in tar:
            _bag, _, inside = member.name.partition("/")
            if member.isfile() and inside.startswith("data/"):
                extracted = tar.extractfile(member)
                assert extracted is not None
                out[inside] = hashlib.sha256(extracted.read()).hexdigest()
    return out


def timed_read(streams: Callable[[], Iterator[Record]]) -> tuple[float, int]:
    started = time.perf_counter()
    size = sum(len(r.body) for r in streams())
    return time.perf_counter() - started, size


def report(runs: list[Run], mb: float, args: argparse.Namespace, load_before: str) -> None:
    by_way = {w: sorted(r.seconds for r in runs if r.way == w) for w in WAYS}
    best = {w: s[0] for w, s in by_way.items()}
    median = {w: statistics.median(s) for w, s in by_way.items()}
    print(f"\n{2 * args.messages} messages, {mb:.1f} MB of message bytes, {args.repeat} rounds")
    print(f"keyrings: {'SoftHSM tokens' if args.hsm else 'key files'} on every side")
    print(f"{'way':<20} {'best':>8} {'median':>8} {'MB/s (best)':>12}")
    for way in WAYS:
        print(f"{way:<20} {best[way]:7.2f}s {median[way]:7.2f}s {mb / best[way]:11.1f}")
    agents = "two agents, mTLS"
    for base in WAYS[:2]:
        print(
            f"overhead vs {base}: {best[agents] / best[base]:.2f}x (best), "
            f"{median[agents] / median[base]:.2f}x (median)"
        )
    print("\nCPU seconds per production (median; user + system, every thread):")
    print(f"{'way':<20} {'control plane':>14} {'agents':>8} {'PostgreSQL':>11} {'total':>8}")
    totals = {}
    for way in WAYS:
        cpus = [r.cpu for r in runs if r.way == way and r.cpu is not None]
        control = statistics.median(c.control for c in cpus)
        agents_cpu = statistics.median(c.agents for c in cpus) if way == agents else 0.0
        database = statistics.median(c.database for c in cpus)
        totals[way] = statistics.median(
            c.control + c.database + (c.agents if way == agents else 0.0) for c in cpus
        )
        print(f"{way:<20} {control:14.2f} {agents_cpu:8.2f} {database:11.2f} {totals[way]:8.2f}")
    for base in WAYS[:2]:
        print(f"CPU overhead vs {base}: {totals[agents] / totals[base]:.2f}x")
    for way in WAYS[:2]:
        firsts = [r.first_record - r.started for r in runs if r.way == way and r.first_record]
        print(f"{way}: from the call to the first record, median {statistics.median(firsts):.2f} s")
    print("\nwhere the two agents' time went (median of the rounds, seconds):")
    phases: dict[str, list[float]] = {}
    for run in (r for r in runs if r.way == agents):
        assert run.first_look is not None
        assert run.first_record is not None
        assert run.last_record is not None
        started = {region: ev["started"] for region, ev in run.jobs.items()}
        done = {region: ev["succeeded"] for region, ev in run.jobs.items()}
        deferred = {region: ev["deferred"] for region, ev in run.jobs.items()}
        split = {
            "authorize, agents check, queue both parts": run.first_look - run.started,
            "part queued until its worker starts it (slower region)": max(
                started[r] - deferred[r] for r in started
            ),
            **{f"part runs in the agent of {r}": done[r] - started[r] for r in sorted(done)},
            "last part done until the control plane fetches": run.first_record - max(done.values()),
            "fetch both parts and write the package": run.last_record - run.first_record,
            "sign, publish, log": run.ended - run.last_record,
            "looks at the parts' status": float(run.looks),
        }
        for name, value in split.items():
            phases.setdefault(name, []).append(value)
    for name, values in phases.items():
        print(f"  {name:<58} {statistics.median(values):6.2f}")
    print(f"load average before: {load_before}; after: {_load()}")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages in each region")
    parser.add_argument("--mib", type=int, default=160, help="total size of all messages")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--hsm", action="store_true", help="region keys in SoftHSM tokens")
    parser.add_argument(
        "--port", type=int, default=18500, help="the agents listen on PORT+1 and PORT+2"
    )
    parser.add_argument(
        "--pg-port",
        type=int,
        default=56500,
        help="without COMITY_TEST_PG_URL, a throw-away PostgreSQL cluster on this port",
    )
    parser.add_argument("--tmp", type=Path, default=None, help="where to write (default: $TMPDIR)")
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write a cProfile (wall clock) of the control plane's side of the agents' productions",
    )
    args = parser.parse_args()
    pg_url = os.environ.get("COMITY_TEST_PG_URL")
    if not pg_url:  # a throw-away cluster for this run (root, as `make test`), then run again
        script = Path(__file__).resolve().parents[1] / "scripts" / "with-postgres.sh"
        here = [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]]
        os.execvp("bash", ["bash", str(script), str(args.pg_port), *here])
    os.environ["COMITY_TEST_REGIONS_PORT"] = str(args.port)  # read when regions_support loads
    from tests.hsm_support import softhsm_pool  # noqa: PLC0415
    from tests.production_support import approve, build, submit  # noqa: PLC0415
    from tests.regions_support import HostSettings, multi_host  # noqa: PLC0415

    load_before = _load()
    mean = args.mib * (1 << 20) // (2 * args.messages)
    with ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(dir=args.tmp)))
        keyrings: dict[str, dict[str, str]] = {"pg": {}, "sqlite": {}}
        if args.hsm:
            (root / "hsm").mkdir()
            pool = softhsm_pool(root / "hsm")
            keyrings = {side: {r: pool.take().url() for r in MAILBOXES} for side in keyrings}
        settings = HostSettings(
            region_lines=lambda r: f'keyring = "{keyrings["pg"][r]}"' if args.hsm else ""
        )
        t = time.perf_counter()
        hosts = stack.enter_context(multi_host(root / "pg", pg_url, settings))
        reference = hosts.in_process()  # every region's key: it ingests, then reads in-process
        total = fill(reference, args.messages, mean)
        lite = build(root / "sqlite", keyrings=keyrings["sqlite"])
        lite.comity.signing_keys()
        if fill(lite.comity, args.messages, mean) != total:
            raise SystemExit("the two deployments hold different messages")
        for agent in hosts.agents.values():
            agent.start(stalled_after=30.0)  # the default: no spurious rerun of a long part
        print(f"set-up (untimed): {time.perf_counter() - t:.1f} s, ingest into both deployments")

        sides = {
            "sqlite in-process": (lite, lambda: open_deployment(lite.comity.home)),
            "pg in-process": (hosts.world, hosts.in_process),
            "two agents, mTLS": (hosts.world, hosts.control_plane),
        }
        runs: list[Run] = []
        agent_pids = [a.process.pid for a in hosts.agents.values() if a.process is not None]
        postmaster = _postmaster(urlsplit(pg_url).port or 5432)
        profile = cProfile.Profile() if args.profile else None
        for n in range(args.repeat):
            for way, (world, opened) in sides.items():
                demand = submit(world, reference=f"BENCH-{n}-{WAYS.index(way)}", targets=TARGETS)
                case = f"case-{WAYS.index(way)}-{n}"
                approve(world, demand, case_id=case)
                profiled = profile if way == "two agents, mTLS" else None
                comity = opened()
                cpu = Cpu.now(agent_pids, postmaster)
                run = produce(way, comity, world.admin, case, profiled)
                run.cpu = Cpu.now(agent_pids, postmaster) - cpu
                if way == "two agents, mTLS":
                    auth_id = SignedAuthorization.from_bytes(
                        run.production.authorization.encode()
                    ).authorization.id
                    run.jobs = {r: job_events(hosts.stores[r], auth_id) for r in MAILBOXES}
                runs.append(run)
                print(f"round {n + 1} {way:<18} {run.seconds:6.2f} s", flush=True)

        if profile is not None:
            profile.dump_stats(args.profile)
        # Checks: every package verifies, every payload is the same, and the agents' package is
        # the in-process path's for the same authorization, byte for byte.
        expected = 2 * args.messages + 5  # + acct-0001's 3 messages, subscriber and login
        payloads = set()
        lasts = [next(r for r in reversed(runs) if r.way == way) for way in WAYS]
        for run in lasts:  # the last of each way: verifying all would take minutes
            home = lite.comity.home if run.way == "sqlite in-process" else hosts.control
            verdict = check_package(
                Path(run.production.path), keys=[home / "keys" / "provider.pub.pem"]
            )
            if verdict.verified.record_count != expected:
                raise SystemExit(f"{run.way}: {verdict.verified.record_count} records")
            payloads.add(tuple(sorted(payload(Path(run.production.path)).items())))
        if len(payloads) != 1:
            raise SystemExit("the packages' payloads differ")
        last = next(r for r in reversed(runs) if r.way == "two agents, mTLS")
        again = hosts.in_process_package(last.production, root / "again")
        if again != Path(last.production.path).read_bytes():
            raise SystemExit("the agents' package differs from the in-process one")
        print("checked: the last package of each way verifies, one payload, agents' = in-process")

        # The fetch of the done parts alone, and the same regions read in-process, once.
        signed = SignedAuthorization.from_bytes(last.production.authorization.encode())
        control = hosts.control_plane()
        fetch = read = 0.0
        for region in MAILBOXES:
            parts = control.region_parts(region)
            assert parts is not None
            fetch += timed_read(functools.partial(parts.records, signed))[0]
            local = reference.local_agent(region)
            read += timed_read(functools.partial(local.release, signed))[0]
        mb = total / 1e6
        print(f"fetch both done parts over mTLS alone: {fetch:.2f} s ({mb / fetch:.1f} MB/s)")
        print(f"read both regions in-process alone:    {read:.2f} s ({mb / read:.1f} MB/s)")
        report(runs, mb, args, load_before)


if __name__ == "__main__":
    main()
