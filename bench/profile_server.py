"""Serve a deployment under the yappi profiler, one process, and write where its CPU went.

    .venv/bin/python bench/profile_server.py HOME PORT OUT.txt

``bench/load.py --profile OUT.txt`` starts the server this way instead of ``comity serve``: one
worker (yappi sees every thread of one process; py-spy cannot attach in this sandbox), the
CPU clock, every thread. On SIGTERM the top functions by total and by own time are written to
``OUT.txt``, so the tail of a load run can be traced to what the server spent its CPU on.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import uvicorn
import yappi

from comity.entrypoints.api.nodelay import NoDelayH11Protocol
from comity.entrypoints.cli.context import HOME_ENV


def main() -> None:
    home, port, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    os.environ[HOME_ENV] = str(Path(home).resolve())
    yappi.set_clock_type("cpu")
    yappi.start(builtins=False, profile_threads=True)
    server = uvicorn.Server(
        uvicorn.Config(
            "comity.entrypoints.api.asgi:app",
            host="127.0.0.1",
            port=port,
            log_level="warning",
            http=NoDelayH11Protocol,
        )
    )

    def stop(_signum: int, _frame: object) -> None:
        server.should_exit = True

    signal.signal(signal.SIGTERM, stop)
    server.run()
    yappi.stop()
    stats = yappi.get_func_stats()
    with out.open("w") as f:
        for sort in ("ttot", "tsub"):
            f.write(f"\n=== by {sort} ===\n")
            stats.sort(sort, "desc")
            for row in list(stats)[:60]:
                where = f"{Path(row.module).name}:{row.lineno} {row.name}"
                f.write(f"{row.ncall:>9} {row.ttot:9.3f} {row.tsub:9.3f}  {where}\n")
        f.write("\n=== threads (cpu s) ===\n")
        for t in yappi.get_thread_stats():
            f.write(f"{t.name} {t.id} {t.ttot:.3f}\n")


if __name__ == "__main__":
    main()
