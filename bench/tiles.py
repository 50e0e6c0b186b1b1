"""Serving the audit log as tlog-tiles: `comity serve` against the same bytes as static files.

Builds a log of --entries entries (a signed checkpoint per 10,000), writes every tile and entry
bundle the latest checkpoint needs to a directory, then, in the same run, loads `comity serve`'s
/log/tile/... and a Starlette StaticFiles server over that directory (same uvicorn settings, same
worker count) with --clients keep-alive clients, alternating short slices. Prints requests/s,
p50/p99 latency and the ratio Comity / static for a full level-0 hash tile (8 KiB), a full entry
bundle (about 60 KiB) and a level-1 tile.

    .venv/bin/python bench/tiles.py [--entries 200000] [--duration 24] [--clients 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from api import BIN, Result, free_port, load, merge, start
from comity.adapters.audit.tiles import TileReader
from comity.bootstrap import initialise, open_deployment
from comity.domain.audit import AuditEvent
from comity.domain.tiles import TileRef, tiles_for

STATIC_APP = """
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from comity.entrypoints.api.nodelay import NoDelayH11Protocol

app = Starlette(routes=[Mount("/log", StaticFiles(directory=sys.argv[3]))])

if __name__ == "__main__":
    uvicorn.run("static_app:app", host="127.0.0.1", port=int(sys.argv[1]), workers=int(sys.argv[2]),
                log_level="warning", timeout_worker_healthcheck=60, http=NoDelayH11Protocol)
"""


def build(home: Path, entries: int, static: Path) -> list[str]:
    """A log of ``entries`` entries; its tiles exported under ``static``; paths to load."""
    initialise(home, demo=False, log_url="https://bench.example/log")
    comity = open_deployment(home)
    now = comity.clock.now()
    for start_at in range(0, entries, 10_000):
        with comity.uow() as uow:
            uow.audit.record_many(
                AuditEvent.of(now, "bench", "bench:event", f"thing/{i}", {"i": i})
                for i in range(start_at, min(entries, start_at + 10_000))
            )
            uow.commit()
    with comity.reader() as uow:
        reader = TileReader(uow.audit)
        size = reader.signed_size()
        refs = [r for level in range(3) for r in tiles_for(size, level)]
        refs += [TileRef(r.level, r.index, r.width, entries=True) for r in tiles_for(size, 0)]
        for ref in refs:
            out = static / "tile" / ref.path()
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(reader.entry_bundle(ref) if ref.entries else reader.tile(ref))
    middle = TileRef(0, size // 512).path().split("/", 1)[1]
    level1 = tiles_for(size, 1)[0]  # full from 65,536 entries on, else the partial one
    return [f"/log/tile/0/{middle}", f"/log/tile/entries/{middle}", f"/log/tile/{level1.path()}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--duration", type=float, default=24.0, help="Seconds per path, total")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slices", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="comity-bench-") as tmp:
        home, static = Path(tmp) / "deployment", Path(tmp) / "static"
        paths = build(home, args.entries, static)
        (Path(tmp) / "static_app.py").write_text(STATIC_APP)
        env = {**os.environ, "COMITY_HOME": str(home), "PYTHONPATH": tmp}
        comity_port, static_port = free_port(), free_port()
        servers: list[subprocess.Popen[bytes]] = []
        try:
            servers.append(
                start(
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
                )
            )
            servers.append(
                start(
                    [
                        str(BIN / "python"),
                        str(Path(tmp) / "static_app.py"),
                        str(static_port),
                        str(args.workers),
                        str(static),
                    ],
                    static_port,
                    paths[0],
                    env,
                )
            )
            print(
                f"{args.entries} entries, {args.clients} clients, {args.workers} workers each, "
                f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
            )
            for path in paths:
                asyncio.run(load("warm", comity_port, path, None, 4, 1.0))
                asyncio.run(load("warm", static_port, path, None, 4, 1.0))
                parts: dict[str, list[Result]] = {"comity": [], "static": []}
                for _ in range(args.slices):
                    for name, port in (("comity", comity_port), ("static", static_port)):
                        parts[name].append(
                            asyncio.run(
                                load(
                                    name,
                                    port,
                                    path,
                                    None,
                                    args.clients,
                                    args.duration / (2 * args.slices),
                                )
                            )
                        )
                comity, plain = merge(parts["comity"]), merge(parts["static"])
                print(f"\n{path}")
                print(comity.line())
                print(plain.line())
                print(f"ratio comity/static: {comity.rps / plain.rps:.2f}")
        finally:
            for proc in servers:
                proc.terminate()
                proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
