"""The CPU of one queue page: lines decoded from case documents against lines from the columns.

Seeds a SQLite control plane as ``bench/load.py`` does (``--size`` cases, 1,000 by default: a
page is one indexed query, so its cost does not depend on the size), then times, interleaved,
``queue.queue_page`` (every case document of the page decoded) and ``queue.queue_lines`` (the
indexed columns and ``case_deadlines``; what ``GET /cases`` serves) for an open-cases page of
``--limit`` lines. CPU time (``time.process_time``) is the figure that does not depend on the
other tenants of a shared machine; wall time is printed beside it.

    .venv/bin/python bench/queue_lines.py [--size 1000] [--rounds 200] [--limit 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from comity.domain.registry import StaffRole, User
from comity.services.cases import queue
from load import file_templates, make_world, seed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args()
    reviewer = User("rev", "Reviewer", "rev@provider.example", frozenset({StaffRole.REVIEWER}))
    with tempfile.TemporaryDirectory(prefix="comity-lines-") as tmp:
        home = Path(tmp)
        os.chdir(home)
        world = make_world(home, "sqlite:///control.db")
        file_templates(world)
        seed(world, args.size)
        comity = world.comity

        def by_document() -> Any:
            return queue.queue_page(
                comity.reader, comity.clock, reviewer, open_only=True, limit=args.limit
            )

        def by_columns() -> Any:
            return queue.queue_lines(
                comity.reader, comity.clock, reviewer, open_only=True, limit=args.limit
            )

        assert [i.line for i in by_document().items] == by_columns().items
        timings: dict[str, tuple[list[float], list[float]]] = {
            "document": ([], []),
            "columns": ([], []),
        }
        calls: dict[str, Callable[[], Any]] = {"document": by_document, "columns": by_columns}
        for _ in range(args.rounds):
            for name, call in calls.items():
                cpu, wall = time.process_time(), time.perf_counter()
                call()
                timings[name][0].append(time.process_time() - cpu)
                timings[name][1].append(time.perf_counter() - wall)
        print(f"{args.size:,} cases, pages of {args.limit}, {args.rounds} rounds interleaved;")
        print(f"load average {os.getloadavg()[0]:.1f}")
        for name, (cpu, wall) in timings.items():
            print(
                f"  {name:9} CPU mean {statistics.fmean(cpu) * 1000:6.2f} ms"
                f"  wall median {statistics.median(wall) * 1000:6.2f} ms"
            )
        ratio = statistics.fmean(timings["document"][0]) / statistics.fmean(timings["columns"][0])
        print(f"  CPU ratio document / columns: {ratio:.2f}")


if __name__ == "__main__":
    main()
