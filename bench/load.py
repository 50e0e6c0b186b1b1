"""A year of a large provider's demands: the control plane at 100,000 cases under a mixed load.

For each database (SQLite, and PostgreSQL when ``--pg-url`` is given) and each size (1,000 and
100,000 cases by default), in the same run:

1. a deployment is made and a dozen template demands are filed and assessed through the real code
   (``submit_demand``, ``ensure_case`` with the shipped law engine, a review for some, a
   withdrawal for others), received over the past year;
2. the control plane is seeded by cloning those rows (demand, assessment, case, the case's
   deadline rows) with new ids and references, in set-based inserts of a few thousand rows;
3. ``comity serve --workers 2`` is started on a free loopback port and ``--clients`` clients
   (64) run a mixed load for ``--duration`` seconds: submissions (each assessed, its case opened),
   case actions (a reviewer starts the review of a seeded assessed case), queue pages
   (``GET /cases?open=true&limit=50``), due-list pages (``GET /due?limit=50``) and portal reads
   (a requester's ``GET /cases?limit=20`` and ``GET /demands?limit=20``);
4. per operation: requests/s, p50, p99 and errors (any answer other than 2xx), the server's own
   p50 and p99 (``Server-Timing: app``), and the server's CPU (its process and workers, from
   ``/proc``) per request over the run: the one figure that does not depend on the machine's
   other load. ``--breakdown`` serves ``bench/timing_asgi.py`` (the same application, measured)
   and prints where the slowest 1 % of each operation spent its time.

    .venv/bin/python bench/load.py [--sizes 1000 100000] [--duration 60] [--clients 64]
        [--think 1.0] [--warmup 10] [--pg-url postgresql://user@127.0.0.1:PORT/postgres]

``--think`` is each client's mean pause between requests (seconds, uniform from 0 to twice it):
a legal team's clients read what they fetched; 0 saturates the two workers and measures queueing
instead. Each client joins after its own first pause, and the same clients run ``--warmup``
seconds untimed and then ``--duration`` seconds timed, without a break: the timed window sees the
load in its steady state, with both workers warm (the law engine loaded, caches and pools
filled). After the run, every client sends one page at the same instant (``burst``): the
slowest of that crowd is printed beside the p99, not mixed into it. Seeded cases
have no audit-log entries (the log is not on any of these paths); every case made during the load
does. The client is a minimal HTTP/1.1 keep-alive loop on asyncio streams, so it costs little
CPU next to the server on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from comity.adapters.controlplane.tables import Base
from comity.bootstrap import Comity, open_deployment
from comity.domain.accounts import Account, Selector
from comity.domain.categories import Category
from comity.domain.registry import StaffRole, User
from comity.law.countries import known_countries
from comity.services import identity, registry
from comity.services.accounts import create_account
from comity.services.cases import actions as cases
from comity.services.cases.actions import LawContext
from comity.services.intake.demands import Submission, submit_demand

BIN = Path(sys.executable).parent
TEMPLATES = 12
BATCH = 2000

TOML = """\
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE", "DE"]

[control_plane]
database = "{control}"

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"

[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"
"""


def demand_document(reference: str, received: datetime) -> dict[str, Any]:
    return {
        "reference": reference,
        "received_at": received.isoformat().replace("+00:00", "Z"),
        "issuing_authority": {
            "country": "US",
            "kind": "court",
            "name": "U.S. District Court for the Southern District of New York",
            "forum": "us.nysd",
        },
        "requesting_agency": {"name": "Drug Enforcement Administration", "country": "US"},
        "instrument": "us.warrant",
        "categories": ["subscriber", "traffic", "content"],
        "targets": [{"type": "email", "value": "target@msn.example"}],
        "period": {"start": "2025-01-01", "end": "2025-12-31"},
        "offence": {
            "description": "narcotics trafficking",
            "max_custodial_years": 20,
            "committed_in": "US",
        },
        "emergency": None,
        "non_disclosure": None,
        "via": None,
    }


# --- the deployment and its templates ------------------------------------------------------------


@dataclass
class World:
    home: Path
    comity: Comity
    tokens: dict[str, str]
    templates: list[str] = field(default_factory=list)  # demand ids


def make_world(home: Path, control: str) -> World:
    """A deployment like the case tests': one account, the DEA, a reviewer, an auditor, an agent."""
    (home / "comity.toml").write_text(TOML.format(control=control))
    comity = open_deployment(home)
    comity.ensure_audit_key()
    comity.migrate()
    comity.prepare_regions()
    clock = comity.clock
    create_account(
        comity.uow,
        Account(
            "msn-1",
            (Selector("email", "target@msn.example"),),
            "us-west",
            {Category.CONTENT: "eu-ie"},
        ),
        actor="bench",
        clock=clock,
    )
    registry.add_authority(
        comity.intake_uow,
        clock,
        {
            "id": "us-dea",
            "name": "Drug Enforcement Administration",
            "country": "US",
            "kind": "agency",
            "status": "verified",
            "domains": ["dea.gov"],
        },
        known_countries=known_countries(),
        actor="bench",
    )
    people = {
        "rev": User("rev", "Reviewer", "rev@provider.example", frozenset({StaffRole.REVIEWER})),
        "aud": User("aud", "Auditor", "aud@provider.example", frozenset({StaffRole.AUDITOR})),
        "agent": User("agent", "Agent", "agent@dea.gov", agency_id="us-dea"),
    }
    tokens = {}
    for name, person in people.items():
        identity.create_user(comity.intake_uow, clock, person, actor="bench")
        tokens[name] = identity.issue_token(
            comity.intake_uow, clock, person.id, label="bench", actor="bench"
        )
    return World(home, comity, tokens)


def file_templates(world: World) -> None:
    """Demands received over the past year, filed and assessed by the real code; some reviewed,
    one withdrawn, so the seeded cases are in the states a year leaves them in."""
    comity = world.comity
    law = LawContext(comity.assessor, comity.deployment, known_countries())
    with comity.intake_uow() as uow:
        agent = uow.intake.get_user("agent")
        reviewer = uow.intake.get_user("rev")
    assert agent is not None
    assert reviewer is not None
    now = comity.clock.now()
    for t in range(TEMPLATES):
        received = now - timedelta(days=30 * t + 1)
        doc = demand_document(f"TEMPLATE-{t:02d}", received)
        record, _ = submit_demand(
            comity.intake_uow,
            comity.clock,
            agent,
            Submission(json.dumps(doc).encode()),
            known_countries=known_countries(),
        )
        case = cases.ensure_case(comity.intake_uow, comity.clock, record.id, law)
        if t % 4 == 1:
            cases.start_review(comity.intake_uow, comity.clock, reviewer, case.case_id)
        if t == TEMPLATES - 1:
            cases.withdraw_demand(comity.intake_uow, comity.clock, agent, record.id)
        world.templates.append(record.id)


# --- seeding by cloning --------------------------------------------------------------------------


def _rows(
    conn: sa.Connection, table: sa.Table, column: str, values: list[str]
) -> list[dict[str, Any]]:
    query = sa.select(table).where(table.c[column].in_(values))
    return [dict(r._mapping) for r in conn.execute(query)]


def _swap(value: Any, swaps: list[tuple[str, str]]) -> Any:
    """The value with every template id and reference replaced by the clone's."""
    if isinstance(value, str):
        for old, new in swaps:
            value = value.replace(old, new)
        return value
    if isinstance(value, dict | list):
        return json.loads(_swap(json.dumps(value), swaps))
    return value


def seed(world: World, size: int) -> float:
    """Clone the templates into ``size`` demands and cases; returns the seconds it took."""
    t0 = time.perf_counter()
    engine = world.comity.engine
    meta = Base.metadata.tables
    demands, assessments = meta["intake_demands"], meta["intake_assessments"]
    case_rows, deadlines = meta["cases"], meta["case_deadlines"]
    with engine.connect() as conn:
        source = {
            demand_id: (
                _rows(conn, demands, "id", [demand_id])[0],
                _rows(conn, assessments, "demand_id", [demand_id]),
                _rows(conn, case_rows, "demand_id", [demand_id])[0],
            )
            for demand_id in world.templates
        }
        for _d, _, c in source.values():
            c["deadlines"] = _rows(conn, deadlines, "case_id", [c["id"]])
        seq = conn.scalar(sa.select(sa.func.max(demands.c.seq))) or 0
    clones = size - len(world.templates)
    batch: dict[str, list[dict[str, Any]]] = {"d": [], "a": [], "c": [], "x": []}

    def flush() -> None:
        with engine.begin() as conn:
            for key, table in (("d", demands), ("a", assessments), ("c", case_rows)):
                if batch[key]:
                    conn.execute(table.insert(), batch[key])
            if batch["x"]:
                conn.execute(deadlines.insert(), batch["x"])
        for rows in batch.values():
            rows.clear()

    order = list(source.values())
    for i in range(clones):
        demand, assessed, case = order[i % len(order)]
        tag = f"{i:012x}"
        swaps = [
            (demand["id"], demand["id"][:-12] + tag),
            (case["id"], case["id"][:-12] + tag),
            (demand["reference"], f"BENCH-{i:07d}"),
        ] + [(a["id"], a["id"][:-12] + tag) for a in assessed]
        seq += 1
        batch["d"].append({**{k: _swap(v, swaps) for k, v in demand.items()}, "seq": seq})
        batch["a"] += [{k: _swap(v, swaps) for k, v in a.items()} for a in assessed]
        batch["c"].append({k: _swap(v, swaps) for k, v in case.items() if k != "deadlines"})
        batch["x"] += [
            {k: _swap(v, swaps) for k, v in x.items() if k != "id"} for x in case["deadlines"]
        ]
        if len(batch["d"]) >= BATCH:
            flush()
    flush()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    return time.perf_counter() - t0


def assessed_cases(world: World, limit: int) -> list[str]:
    """Seeded cases a reviewer may start reviewing: the actions of the load."""
    table = Base.metadata.tables["cases"]
    with world.comity.engine.connect() as conn:
        ids = conn.scalars(
            sa.select(table.c.id).where(table.c.state == "assessed").limit(limit)
        ).all()
    return list(ids)


# --- the load -----------------------------------------------------------------------------------


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


@dataclass
class Op:
    name: str
    latencies: list[float] = field(default_factory=list)
    #: The server's own time for each answer (its ``Server-Timing: app;dur=``), in seconds.
    server: list[float] = field(default_factory=list)
    #: Every ``Server-Timing`` metric of each answer (``--breakdown``: where the time went).
    parts: list[dict[str, float]] = field(default_factory=list)
    errors: int = 0
    problems: list[str] = field(default_factory=list)

    def pct(self, q: float) -> float:
        return _pct(self.latencies, q)

    def tail(self, share: float = 0.01) -> str | None:
        """The mean breakdown of the slowest ``share`` of answers by server time (ms)."""
        timed = sorted((p for p in self.parts if "app" in p and len(p) > 1), key=lambda p: p["app"])
        if not timed:
            return None
        slow = timed[-max(1, int(len(timed) * share)) :]
        names = [k for k in slow[0] if k != "app"]
        means = {k: sum(p.get(k, 0.0) for p in slow) / len(slow) for k in ["app", *names]}
        rest = means["app"] - means.get("in", 0) - means.get("run", 0) - means.get("out", 0)
        shown = ", ".join(f"{k} {v:.1f}" for k, v in means.items())
        return f"    slowest {len(slow)}: {shown}, loop {rest:.1f}"

    def line(self, seconds: float) -> str:
        n = len(self.latencies)
        return (
            f"  {self.name:<10} {n / seconds:7.1f} req/s  p50 {self.pct(0.5):7.1f} ms  "
            f"p99 {self.pct(0.99):7.1f} ms  errors {self.errors}  ({n} requests)  "
            f"server p50 {_pct(self.server, 0.5):6.1f} p99 {_pct(self.server, 0.99):6.1f} ms"
        )


def server_timing(headers: dict[str, str]) -> dict[str, float]:
    """Every ``Server-Timing`` metric of an answer (``name;dur=<ms>``), in ms."""
    found = {}
    for part in headers.get("server-timing", "").split(","):
        name, _, rest = part.strip().partition(";")
        if rest.startswith("dur="):
            found[name] = float(rest[4:])
    return found


def server_time(headers: dict[str, str]) -> float | None:
    """The application's own time from ``Server-Timing: app;dur=<ms>`` (seconds), if given."""
    app = server_timing(headers).get("app")
    return None if app is None else app / 1000


class LoopLag:
    """How late the client's own event loop wakes up: if the client is starved of CPU, every
    latency it measures is inflated by this much, whatever the server does."""

    def __init__(self) -> None:
        self.lags: list[float] = []

    async def watch(self, window: Window, every: float = 0.01) -> None:
        while time.perf_counter() < window.stop:
            t0 = time.perf_counter()
            await asyncio.sleep(every)
            if t0 >= window.start:
                self.lags.append(max(0.0, time.perf_counter() - t0 - every))


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by process ``root`` and its children (the
    server's workers): a cost per request that does not depend on how busy the machine is."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [child for child, parent in parents.items() if parent == pid]
    return sum(used.get(pid, 0.0) for pid in tree)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: ``--breakdown``: uvicorn serves ``bench/timing_asgi.py`` as ``comity serve`` would serve Comity.
BREAKDOWN = """\
import os, sys
sys.path.insert(0, {bench!r})
os.environ["COMITY_HOME"] = {home!r}
import uvicorn
from comity.entrypoints.api.nodelay import NoDelayH11Protocol
uvicorn.run("timing_asgi:app", host="127.0.0.1", port={port}, workers={workers},
            log_level="warning", timeout_worker_healthcheck=60, http=NoDelayH11Protocol)
"""


def serve(
    home: Path, port: int, workers: int, profile: str | None = None, breakdown: bool = False
) -> subprocess.Popen[bytes]:
    cmd = [str(BIN / "comity"), "--dir", str(home), "serve", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    if breakdown:
        bench = str(Path(__file__).parent.resolve())
        code = BREAKDOWN.format(bench=bench, home=str(home), port=port, workers=workers)
        cmd = [sys.executable, "-c", code]
    if profile:  # one worker under yappi (bench/profile_server.py)
        script = Path(__file__).with_name("profile_server.py")
        cmd = [sys.executable, str(script), str(home), str(port), profile]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1"):
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    err = proc.stderr.read()[-2000:] if proc.stderr else b""
    raise RuntimeError(f"server did not start: {' '.join(cmd)}: {err!r}")


class Http:
    """One keep-alive connection; ``call`` returns status, headers and body."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def call(
        self, method: str, path: str, token: str, body: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        try:
            self.writer.write(head.encode() + b"\r\n" + (body or b""))
            raw = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 30)
            lines = raw.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length", "0"))
            data = await asyncio.wait_for(self.reader.readexactly(length), 30)
            return int(lines[0].split()[1]), headers, data
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            self.writer.close()
            self.writer = None
            return 0, {}, repr(exc).encode()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


MIX = [("submit", 15), ("action", 10), ("queue", 25), ("due", 25), ("portal", 25)]


async def client(
    n: int,
    port: int,
    tokens: dict[str, str],
    pool: list[str],
    ops: dict[str, Op],
    window: Window,
    think: float,
    tag: str,
) -> None:
    rng = random.Random(n)
    http = Http(port)
    names = [name for name, _ in MIX]
    weights = [w for _, w in MIX]
    count = 0
    now = datetime.now(UTC)
    # Each client joins after its own first pause, as a team's do. If all of them sent their
    # first request at the same instant, that one crowd (each request waiting for the others)
    # would be the slowest 1 % of a minute's run, and the p99 would time the benchmark's start,
    # not the server under its load: ``burst`` times such a crowd on its own.
    await asyncio.sleep(rng.uniform(0, 2 * think) if think else n / 1000)
    while time.perf_counter() < window.stop:
        name = rng.choices(names, weights)[0]
        if name == "action" and not pool:
            name = "queue"
        count += 1
        t0 = time.perf_counter()
        took: float | None = None
        first: dict[str, float] = {}
        if name == "submit":
            doc = demand_document(f"LOAD-{tag}-{n}-{count}", now - timedelta(hours=count % 48))
            status, headers, body = await http.call(
                "POST", "/demands", tokens["agent"], json.dumps(doc).encode()
            )
        elif name == "action":
            case_id = pool.pop()
            status, headers, body = await http.call(
                "POST", f"/cases/{case_id}/review", tokens["rev"]
            )
        elif name == "queue":
            status, headers, body = await http.call(
                "GET", "/cases?open=true&limit=50", tokens["rev"]
            )
        elif name == "due":
            status, headers, body = await http.call(
                "GET", "/due?within=48h&limit=50", tokens["aud"]
            )
        else:
            status, headers, body = await http.call("GET", "/cases?limit=20", tokens["agent"])
            took = server_time(headers)
            first = server_timing(headers)
            if 200 <= status < 300:
                status, headers, body = await http.call("GET", "/demands?limit=20", tokens["agent"])
        op = ops[name]
        timed = t0 >= window.start  # what the warm-up sends is checked for errors, not timed
        if timed:
            op.latencies.append(time.perf_counter() - t0)
        server = server_time(headers)
        if timed and server is not None:
            op.server.append(server + (took or 0.0))
            parts = server_timing(headers)
            op.parts.append({k: v + first.get(k, 0.0) for k, v in parts.items()})
        if not 200 <= status < 300:
            op.errors += 1
            if len(op.problems) < 3:
                op.problems.append(f"{status}: {body[:200]!r}")
        if think:
            await asyncio.sleep(rng.uniform(0, 2 * think))


@dataclass(frozen=True)
class Window:
    """The timed part of a run (``time.perf_counter``): after the warm-up, for ``--duration``."""

    start: float
    stop: float


@dataclass
class Run:
    ops: dict[str, Op]
    lag: LoopLag
    #: The server's CPU seconds (process and workers) and the machine's load average, read at
    #: the start and at the end of the timed window.
    cpu: list[float] = field(default_factory=list)
    load: list[float] = field(default_factory=list)


async def run_load(
    server: int,
    port: int,
    tokens: dict[str, str],
    pool: list[str],
    args: argparse.Namespace,
    tag: str,
) -> Run:
    """``--clients`` clients for ``--warmup`` then ``--duration`` seconds, without a pause
    between the two: the timed window sees the load in its steady state, with every worker
    already warm (the law engine loaded, the caches and pools filled)."""
    begin = time.perf_counter()
    window = Window(begin + args.warmup, begin + args.warmup + args.duration)
    run = Run({name: Op(name) for name, _ in MIX}, LoopLag())

    async def meter() -> None:
        for at in (window.start, window.stop):
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            run.cpu.append(await asyncio.to_thread(tree_cpu, server))
            run.load.append(os.getloadavg()[0])

    await asyncio.gather(
        meter(),
        run.lag.watch(window),
        *(
            client(n, port, tokens, pool, run.ops, window, args.think, tag)
            for n in range(args.clients)
        ),
    )
    return run


async def burst(port: int, tokens: dict[str, str], clients: int) -> list[float]:
    """One page from each client at the same instant, on connections already open: how long
    the last of such a crowd waits (a team's browsers reloading after a network blip, a script
    that cron starts on every desk at nine). Not a goal of issue 20; shown beside the p99."""
    https = [Http(port) for _ in range(clients)]
    paths = [
        ("/cases?open=true&limit=50", tokens["rev"]),
        ("/due?within=48h&limit=50", tokens["aud"]),
    ]
    await asyncio.gather(*(http.call("GET", *paths[n % 2]) for n, http in enumerate(https)))
    go = asyncio.Event()

    async def one(n: int, http: Http) -> float:
        await go.wait()
        t0 = time.perf_counter()
        status, _, body = await http.call("GET", *paths[n % 2])
        if not 200 <= status < 300:
            raise RuntimeError(f"burst: {status}: {body[:200]!r}")
        return time.perf_counter() - t0

    waiting = [asyncio.create_task(one(n, http)) for n, http in enumerate(https)]
    await asyncio.sleep(0.1)
    go.set()
    took = await asyncio.gather(*waiting)
    for http in https:
        http.close()
    return sorted(took)


def probe(port: int, token: str, path: str, times: int = 20) -> float:
    """The median time of one request with the server otherwise idle (ms)."""
    took = []

    async def go() -> None:
        http = Http(port)
        for _ in range(times):
            t0 = time.perf_counter()
            await http.call("GET", path, token)
            took.append(time.perf_counter() - t0)

    asyncio.run(go())
    return sorted(took)[len(took) // 2] * 1000


# --- one database, every size ---------------------------------------------------------------------


def fresh_pg(base: str) -> str:
    name = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


def run_one(database: str, size: int, args: argparse.Namespace) -> dict[str, Op]:
    with tempfile.TemporaryDirectory(prefix="comity-load-") as tmp:
        home = Path(tmp)
        control = "sqlite:///control.db" if database == "sqlite" else fresh_pg(args.pg_url)
        t0 = time.perf_counter()
        world = make_world(home, control)
        file_templates(world)
        made = time.perf_counter() - t0
        took = seed(world, size)
        print(
            f"{database} at {size:,} cases: templates filed in {made:.1f} s, "
            f"seeded in {took:.1f} s ({size / took:,.0f} demands+cases/s)",
            flush=True,
        )
        pool = assessed_cases(world, 20_000)
        random.Random(size).shuffle(pool)
        port = args.port or free_port()
        proc = serve(home, port, args.workers, args.profile, args.breakdown)
        try:
            idle = {
                "queue": probe(port, world.tokens["rev"], "/cases?open=true&limit=50"),
                "due": probe(port, world.tokens["aud"], "/due?within=48h&limit=50"),
            }
            print(
                f"  idle: queue page {idle['queue']:.1f} ms, due page {idle['due']:.1f} ms",
                flush=True,
            )
            run = asyncio.run(
                run_load(proc.pid, port, world.tokens, pool, args, f"{database}-{size}")
            )
            crowd = asyncio.run(burst(port, world.tokens, args.clients))
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(30)
        ops, seconds, lags = run.ops, args.duration, run.lag.lags
        total = sum(len(o.latencies) for o in ops.values())
        errors = sum(o.errors for o in ops.values())
        cpu = run.cpu[1] - run.cpu[0]
        print(
            f"  load: {args.clients} clients, {seconds:.0f} s after {args.warmup:.0f} s of "
            f"warm-up, {total / seconds:.0f} req/s, {errors} errors; machine load average "
            f"{run.load[0]:.1f} at the start, {run.load[1]:.1f} at the end; client loop lag "
            f"p50 {_pct(lags, 0.5):.1f} p99 {_pct(lags, 0.99):.1f} ms; server CPU {cpu:.1f} s, "
            f"{cpu / max(total, 1) * 1000:.1f} ms a request",
            flush=True,
        )
        for op in ops.values():
            print(op.line(seconds), flush=True)
            tail = op.tail()
            if tail:
                print(tail, flush=True)
            for problem in op.problems:
                print(f"    {problem}")
        print(
            f"  burst: {len(crowd)} pages sent at the same instant: median "
            f"{_pct(crowd, 0.5):.1f} ms, slowest {crowd[-1] * 1000:.1f} ms",
            flush=True,
        )
        return ops


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--warmup", type=float, default=10.0, help="Seconds of untimed load first")
    parser.add_argument("--pg-url", default=os.environ.get("COMITY_TEST_PG_URL"))
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--port", type=int, default=0, help="The server's port (default: free)")
    parser.add_argument("--profile", help="Serve one worker under yappi; write its profile here")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="Serve bench/timing_asgi.py: where the slowest 1 %% of each operation spent its time",
    )
    args = parser.parse_args()
    print(
        f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{args.clients} clients, think {args.think} s, {args.duration:.0f} s a run",
        flush=True,
    )
    results: dict[tuple[str, int], dict[str, Op]] = {}
    for database in args.databases:
        if database == "postgresql" and not args.pg_url:
            print("postgresql: skipped (no --pg-url and no COMITY_TEST_PG_URL)")
            continue
        for size in args.sizes:
            results[(database, size)] = run_one(database, size, args)
    _compare(results, args.sizes)


def _compare(results: dict[tuple[str, int], dict[str, Op]], sizes: Iterable[int]) -> None:
    small, *rest = sorted(sizes)
    if not rest:
        return
    large = rest[-1]
    print(f"\np99 at {large:,} cases / p99 at {small:,} cases (goal: at most 2):")
    for database in ("sqlite", "postgresql"):
        a, b = results.get((database, small)), results.get((database, large))
        if a is None or b is None:
            continue
        ratios = ", ".join(
            f"{name} {b[name].pct(0.99) / a[name].pct(0.99):.2f}"
            for name in a
            if a[name].latencies and b[name].latencies
        )
        print(f"  {database}: {ratios}")


if __name__ == "__main__":
    main()
