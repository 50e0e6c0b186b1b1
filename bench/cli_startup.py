"""CLI start-up benchmark: ``comity --help`` and ``comity --dir D audit head`` against bare Python.

    .venv/bin/python bench/cli_startup.py            # 15 runs of each, medians and ratios
    .venv/bin/python bench/cli_startup.py --runs 5   # a quick try

Why: every CLI call pays start-up before it does anything, and issue 15 found 1.2 s of it (every
adapter imported by every command), which made one-file-at-a-time scripts almost all start-up.
The goals are ``comity --help`` under 0.3 s and a read command under 0.6 s, median.

A demo deployment is built first in a temporary directory (not timed), so ``audit head`` has a
signed checkpoint to print. Then the three commands run interleaved, each in a fresh process, so
a burst of load on a shared machine hits all three alike: ``python -c pass`` (the floor no Python
CLI goes below), ``comity --help`` and ``comity --dir D audit head`` (the installed script beside
the interpreter).
The medians are printed with their ratio to the bare start, and as JSON with ``--json``. The
median CPU time (user + system, of the child process) is printed beside them: on a machine whose
load average is many times its cores, wall time mostly measures the queue, CPU time the command.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOALS = {"comity --help": 0.3, "comity --dir D audit head": 0.6}


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run of ``argv``; a failed run stops the benchmark."""
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace').strip()}")
    return elapsed, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.runs < 1:
        sys.exit("--runs must be at least 1")
    python = sys.executable
    # The installed ``comity`` script, as users run it; ``python -m`` where it is not installed.
    script = Path(python).parent / "comity"
    cli = [str(script)] if script.exists() else [python, "-m", "comity.entrypoints.cli.main"]
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "demo"
        made = subprocess.run(
            [*cli, "--dir", str(home), "init", "--demo"], capture_output=True, check=False
        )
        if made.returncode != 0:
            sys.exit(f"comity init --demo failed: {made.stderr.decode(errors='replace').strip()}")
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "comity --help": [*cli, "--help"],
            "comity --dir D audit head": [*cli, "--dir", str(home), "audit", "head"],
        }
        timed(commands["comity --dir D audit head"])  # warm the page cache, not counted
        samples: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():
                wall, used = timed(argv)
                samples[name].append(wall)
                cpu[name].append(used)
    medians = {name: statistics.median(values) for name, values in samples.items()}
    floor = medians["python -c pass"]
    report = {
        name: {
            "median_s": round(median, 4),
            "min_s": round(min(samples[name]), 4),
            "cpu_median_s": round(statistics.median(cpu[name]), 4),
            "ratio_to_bare_python": round(median / floor, 1),
            "goal_s": GOALS.get(name),
            "goal_met": None if name not in GOALS else median < GOALS[name],
        }
        for name, median in medians.items()
    }
    if args.json:
        print(json.dumps({"runs": args.runs, "load": os.getloadavg()[0], "figures": report}))
        return
    print(f"{args.runs} runs each, interleaved; load average {os.getloadavg()[0]:.1f}")
    print(f"{'command':<28}{'median':>9}{'min':>9}{'cpu':>9}{'x bare':>9}  goal")
    for name, row in report.items():
        goal = "" if row["goal_s"] is None else f"< {row['goal_s']} s: "
        goal += "" if row["goal_met"] is None else ("met" if row["goal_met"] else "NOT met")
        print(
            f"{name:<28}{row['median_s']:>8.3f}s{row['min_s']:>8.3f}s{row['cpu_median_s']:>8.3f}s"
            f"{row['ratio_to_bare_python']:>9.1f}  {goal}"
        )


if __name__ == "__main__":
    main()
