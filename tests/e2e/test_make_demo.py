"""``make demo`` with ``PORT=`` and ``DEMO_DIR=``, keeping an existing demo unless ``FRESH=1``.

Why a test drives make itself: the README's first line is ``make demo``, and the keep-or-rebuild
choice lives in the Makefile's shell, where nothing else would notice it break.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_demo(demo_dir: Path, port: int, *extra: str, answer: bool = False) -> str:
    """Run ``make demo`` until it serves (and, with ``answer``, until /docs answers); stop it."""
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "demo", f"DEMO_DIR={demo_dir}", f"PORT={port}", *extra],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 240
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Comity serving"):
                break
            assert time.monotonic() < deadline, "".join(lines)
        assert any(line.startswith("Comity serving") for line in lines), "".join(lines)
        if answer:
            url = f"http://127.0.0.1:{port}/docs"
            for _ in range(240):
                try:
                    with urllib.request.urlopen(url, timeout=5) as resp:
                        assert resp.status == 200
                        break
                except OSError:
                    time.sleep(0.5)
            else:
                raise AssertionError(f"{url} never answered")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    return "".join(lines)


def test_make_demo_serves_on_port_in_dir_and_keeps_it_unless_fresh(tmp_path: Path) -> None:
    demo_dir = tmp_path / "my-demo"
    port = free_port()
    first = run_demo(demo_dir, port, answer=True)
    assert f"on http://127.0.0.1:{port}" in first
    assert (demo_dir / "comity.toml").is_file()
    assert "password" in first  # the demo's sign-ins were printed when it was made

    marker = demo_dir / "kept.txt"
    marker.write_text("still here", encoding="utf-8")
    again = run_demo(demo_dir, free_port())
    assert f"keeping the demo in {demo_dir}" in again
    assert marker.read_text(encoding="utf-8") == "still here"

    fresh = run_demo(demo_dir, free_port(), "FRESH=1")
    assert "keeping the demo" not in fresh
    assert not marker.exists()
    assert (demo_dir / "comity.toml").is_file()


def test_make_demo_refuses_a_port_that_is_not_a_number(tmp_path: Path) -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "demo", f"DEMO_DIR={tmp_path / 'd'}", "PORT=eighty"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "PORT must be a TCP port number, not 'eighty'" in done.stderr
    assert not (tmp_path / "d").exists()
