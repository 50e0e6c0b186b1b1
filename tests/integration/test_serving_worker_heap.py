"""A serving worker freezes its start-up heap, so full collections skip it (issue 20).

A full collection stops every thread of the worker while it walks every tracked object; with
the start-up heap in view that took 110-200 ms on the 2-core machine, in the middle of whatever
requests were running (docs/benchmarks.md, issue 20, fourth pass).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from comity.bootstrap import initialise
from comity.entrypoints.cli.context import HOME_ENV

PROBE = """\
import gc, json
from comity.entrypoints.api import asgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "engine_loaded": "law_engine" in vars(asgi._comity),
}))
"""


def test_the_asgi_worker_freezes_its_start_up_heap_with_the_rule_pack_in_it(
    tmp_path: Path,
) -> None:
    initialise(tmp_path, demo=False)
    env = {**os.environ, HOME_ENV: str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["engine_loaded"], "the rule pack is parsed before the freeze, not on a request"
    assert found["frozen"] > 100_000, found  # the application, the rule pack, the libraries
