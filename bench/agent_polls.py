"""Part-status polls to a regional agent over mutual TLS: a kept client against a new one per call.

    .venv/bin/python bench/agent_polls.py                  # 200 polls a round, 5 rounds
    .venv/bin/python bench/agent_polls.py --polls 500 --rounds 7 --port 18635

A production waits for the regions' parts by asking each agent ``GET /parts/<id>`` every 50 to
500 ms (``produce.PART_POLL``), and the console asks again for each page it renders. Set-up,
untimed: the tests' approved world (``tests/production_support``: a SQLite deployment), the
deployment's CA and certificates from ``comity pki``'s code, and ``comity agent --region eu-ie``
in its own process over mutual TLS on ``--port``. Then, in turn each round so both share the
machine's background load, ``--polls`` status calls each way:

- ``new client per call``: a new ``HttpRegionAgent`` for every call (its TLS context built from
  the CA, certificate and key files, a new connection pool, a TCP connection and a full
  mutual-TLS handshake), which is what every poll cost before the control plane kept its agent
  clients (``Comity.region_agent`` built a new agent, and ``status`` a new httpx client, each
  call);
- ``kept client``: one ``HttpRegionAgent`` for all calls (one keep-alive connection; the TLS
  files' ``stat`` compared on each call, the region's certificate checked on each answer).

A SQLite region keeps no part queue, so each answer is the agent's 404 "keeps no queue" through
its whole app: the same request, TLS and peer checks as a PostgreSQL region's status, without
the database read. Reports per way the median and best round in ms per call, the ratio (new /
kept), and the load average before and after.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.agent_support import agent_process, make_pki
from tests.conftest import FixedClock
from tests.production_support import approve, build, submit

from comity.adapters.agent.client import HttpRegionAgent
from comity.errors import NotFound


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--polls", type=int, default=200, help="status calls per way a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--port", type=int, default=18635, help="the agent's port")
    args = parser.parse_args()
    load_before = _load()
    with tempfile.TemporaryDirectory() as tmp:
        world = build(Path(tmp) / "dep", FixedClock(datetime.now(UTC).replace(microsecond=0)))
        approve(world, submit(world))
        make_pki(world.comity, "eu-ie")
        files = world.comity.control_plane_tls("eu-ie")
        with agent_process(world.comity.home, "eu-ie", port=args.port) as url:

            def poll(agent: HttpRegionAgent) -> None:
                # NotFound: the agent's answer for a region without a part queue.
                with contextlib.suppress(NotFound):
                    agent.status("auth-bench")

            def new_each_call() -> None:
                for _ in range(args.polls):
                    agent = HttpRegionAgent("eu-ie", url, tls=files)
                    poll(agent)
                    agent.close()

            def kept() -> None:
                agent = HttpRegionAgent("eu-ie", url, tls=files)
                for _ in range(args.polls):
                    poll(agent)
                agent.close()

            ways = {"new client per call": new_each_call, "kept client": kept}
            for way in ways.values():  # warm-up: imports, the agent's first requests
                way()
            times: dict[str, list[float]] = {name: [] for name in ways}
            for _ in range(args.rounds):
                for name, way in ways.items():
                    began = time.perf_counter()
                    way()
                    times[name].append((time.perf_counter() - began) / args.polls * 1000)
    print(f"{args.polls} status calls a round, {args.rounds} rounds (ms per call)")
    print(f"{'way':22} {'best':>8} {'median':>8}")
    for name, runs in times.items():
        print(f"{name:22} {min(runs):8.2f} {statistics.median(runs):8.2f}")
    new, kept_ = times["new client per call"], times["kept client"]
    print(
        f"new / kept: {min(new) / min(kept_):.1f}x (best), "
        f"{statistics.median(new) / statistics.median(kept_):.1f}x (median)"
    )
    print(f"load average before: {load_before}; after: {_load()}")


if __name__ == "__main__":
    main()
