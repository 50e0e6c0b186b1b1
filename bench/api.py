"""API throughput: 64 keep-alive clients reading a demand's status for 30 s, against `comity serve`
(two workers) and, in the same run, against a bare FastAPI endpoint returning a constant (two
workers). Prints requests/s, p50/p99 latency, errors and the ratio Comity / bare (goal >= 0.5).

    .venv/bin/python bench/api.py [--duration 30] [--clients 64] [--workers 2]

The client is a minimal HTTP/1.1 keep-alive loop on asyncio streams, so that it costs little CPU
next to the servers on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from comity.bootstrap import initialise, open_deployment
from comity.domain.registry import User
from comity.law.countries import known_countries
from comity.services import identity, registry
from comity.services.intake.demands import Submission, submit_demand

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

BARE_APP = """
import sys

import uvicorn
from fastapi import FastAPI

from comity.entrypoints.api.nodelay import NoDelayH11Protocol

app = FastAPI()


@app.get("/status")
def status() -> dict[str, object]:
    return {"id": "dem-0", "status": "received", "verification": "signature",
            "disclosure_blocked": False, "disclosure_blocked_reason": None}


if __name__ == "__main__":
    # Served exactly as `comity serve` serves Comity: same protocol, same worker settings.
    uvicorn.run("bare_app:app", host="127.0.0.1", port=int(sys.argv[1]), workers=int(sys.argv[2]),
                log_level="warning", timeout_worker_healthcheck=60, http=NoDelayH11Protocol)
"""


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<8} {self.rps:9.0f} req/s  p50 {self.pct(0.5):6.1f} ms  "
            f"p99 {self.pct(0.99):6.1f} ms  errors {self.errors}  ({self.requests} requests)"
        )


def merge(parts: list[Result]) -> Result:
    return Result(
        parts[0].name,
        sum(p.requests for p in parts),
        sum(p.errors for p in parts),
        sum(p.seconds for p in parts),
        [x for p in parts for x in p.latencies],
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(home: Path) -> tuple[str, str]:
    """A deployment with one agency, one requester, one signed-in token and one demand."""
    initialise(home, demo=False)
    comity = open_deployment(home)
    uow, clock = comity.intake_uow, comity.clock
    registry.add_authority(
        uow,
        clock,
        {
            "id": "us-dea",
            "name": "DEA",
            "country": "US",
            "kind": "agency",
            "status": "verified",
            "domains": ["dea.gov"],
        },
        known_countries=known_countries(),
        actor="bench",
    )
    user = User("jsmith", "J Smith", "jsmith@dea.gov", agency_id="us-dea")
    identity.create_user(uow, clock, user, actor="bench")
    token = identity.issue_token(uow, clock, user.id, label="bench", actor="bench")
    doc = {
        "reference": "BENCH-1",
        "received_at": "2026-11-23T12:00:00Z",
        "issuing_authority": {"country": "US", "kind": "court", "name": "SDNY", "forum": "us.nysd"},
        "instrument": "us.warrant",
        "categories": ["subscriber"],
        "targets": [{"type": "email", "value": "target@example.com"}],
    }
    record, _ = submit_demand(
        uow, clock, user, Submission(json.dumps(doc).encode()), known_countries=known_countries()
    )
    return token, record.id


def start(cmd: list[str], port: int, path: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1"):
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server did not start: {' '.join(cmd)}: {proc.stderr.read()[-2000:]!r}")


async def client(port: int, request: bytes, stop: float, latencies: list[float]) -> tuple[int, int]:
    done = errors = 0
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                writer.write(request)
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await asyncio.wait_for(reader.readexactly(length), 10)
                ok = head.startswith(b"HTTP/1.1 200")
            except (OSError, asyncio.IncompleteReadError, TimeoutError):
                ok = False
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies.append(time.perf_counter() - t0)
            done += 1
            errors += not ok
    finally:
        writer.close()
    return done, errors


async def load(
    name: str, port: int, path: str, token: str | None, clients: int, seconds: float
) -> Result:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()
    latencies: list[float] = []
    start_t = time.perf_counter()
    outcomes = await asyncio.gather(
        *(client(port, request, start_t + seconds, latencies) for _ in range(clients))
    )
    elapsed = time.perf_counter() - start_t
    return Result(
        name, sum(d for d, _ in outcomes), sum(e for _, e in outcomes), elapsed, latencies
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slices", type=int, default=6, help="Alternations of the two loads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="comity-bench-") as tmp:
        home = Path(tmp) / "deployment"
        token, demand_id = prepare(home)
        (Path(tmp) / "bare_app.py").write_text(BARE_APP)
        env = {**os.environ, "COMITY_HOME": str(home)}
        comity_port, bare_port = free_port(), free_port()
        commands = [
            (
                [
                    str(BIN / "comity"),
                    "--dir",
                    str(home),
                    "serve",
                    "--port",
                    str(comity_port),
                    "--workers",
                    str(args.workers),
                ],
                comity_port,
                "/health",
                env,
            ),
            (
                [
                    str(BIN / "python"),
                    str(Path(tmp) / "bare_app.py"),
                    str(bare_port),
                    str(args.workers),
                ],
                bare_port,
                "/status",
                env,
            ),
        ]
        servers: list[subprocess.Popen[bytes]] = []
        try:
            for cmd, port, path, environ in commands:
                servers.append(start(cmd, port, path, environ))
            warm = 2.0
            asyncio.run(load("warm", comity_port, f"/demands/{demand_id}/status", token, 8, warm))
            asyncio.run(load("warm", bare_port, "/status", None, 8, warm))
            # Alternate short slices so both servers see the same background load.
            comity_parts, bare_parts = [], []
            for _ in range(args.slices):
                comity_parts.append(
                    asyncio.run(
                        load(
                            "comity",
                            comity_port,
                            f"/demands/{demand_id}/status",
                            token,
                            args.clients,
                            args.duration / args.slices,
                        )
                    )
                )
                bare_parts.append(
                    asyncio.run(
                        load(
                            "bare",
                            bare_port,
                            "/status",
                            None,
                            args.clients,
                            args.duration / args.slices,
                        )
                    )
                )
            comity, bare = merge(comity_parts), merge(bare_parts)
        finally:
            for proc in servers:
                proc.terminate()
                proc.wait(timeout=30)
    print(
        f"# {args.clients} clients, {args.duration:.0f} s per server in {args.slices} alternating "
        f"slices, {args.workers} workers per server; "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print(comity.line())
    print(bare.line())
    ratio = comity.rps / bare.rps
    verdict = "meets" if ratio >= 0.5 and comity.errors == 0 else "misses"
    print(f"ratio comity/bare {ratio:.2f} ({verdict} the goal of >= 0.5 with zero errors)")


if __name__ == "__main__":
    main()
