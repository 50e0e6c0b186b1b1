"""Helpers for the tlog-tiles, witness and verifier tests: a signed log of a chosen size, served."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, update

from comity.adapters.controlplane.audit_tables import AuditCheckpointRow, AuditNodeRow
from comity.adapters.controlplane.tables import AuditEntryRow, AuditTreeStateRow
from comity.bootstrap import Comity, initialise, open_deployment
from comity.domain.audit import AuditEvent
from tests.intake_support import free_port

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def event(i: int, subject: str = "thing") -> AuditEvent:
    return AuditEvent.of(T0, "test", "account:created", f"{subject}/{i}", {"i": i})


def grow(comity: Comity, to: int, subject: str = "thing") -> None:
    """Append entries in one transaction (one signed checkpoint) until the log has ``to``."""
    with comity.uow() as uow:
        start = uow.audit.size()
        uow.audit.record_many(event(i, subject) for i in range(start, to))
        uow.commit()


def new_log(home: Path, url: str, *sizes: int) -> Comity:
    """A deployment published at ``url`` whose log was grown to each of ``sizes`` in turn."""
    initialise(home, demo=False, log_url=url)
    comity = open_deployment(home)
    for size in sizes:
        grow(comity, size)
    return comity


@contextmanager
def comity_serve(home: Path, command: str = "serve", probe: str = "/health") -> Iterator[str]:
    """``comity serve`` (or ``witness serve``) as a separate process on a free loopback port;
    yield its base URL once ``probe`` answers."""
    port = free_port()
    exe = Path(sys.executable).with_name("comity")
    proc = subprocess.Popen(
        [str(exe), "--dir", str(home), *command.split(), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"comity exited: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                httpx.get(base + probe, timeout=1)
                break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("comity serve did not answer within 120 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


GOPATH = "/usr/share/gocode"


def go_program(source: Path, out_dir: Path) -> Path:
    """Compile a Go program against Debian's golang.org/x/mod, offline (GOPATH mode)."""
    go = shutil.which("go")
    if go is None or not Path(GOPATH, "src/golang.org/x/mod/sumdb/tlog").is_dir():
        message = "needs Debian's golang-go and golang-golang-x-mod-dev (make system-deps)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    binary = out_dir / source.parent.name
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": GOPATH,
        "GOCACHE": str(out_dir / "gocache"),
        "GOFLAGS": "",
        "GOPROXY": "off",
        "CGO_ENABLED": "0",
    }
    subprocess.run(
        [go, "build", "-o", str(binary), str(source)], env=env, check=True, capture_output=True
    )
    return binary


def fork(comity: Comity, index: int) -> None:
    """Rewrite entry ``index`` and rebuild the whole tree, re-signing every checkpoint.

    What an operator with the database and the log key could do: the result passes
    ``comity audit verify`` on its own, and only someone holding an earlier view can tell.
    """
    with comity.uow() as uow:
        s = uow.session
        texts = s.scalars(select(AuditEntryRow.entry).order_by(AuditEntryRow.idx))
        docs = [json.loads(e) for e in texts]
        sizes = list(s.scalars(select(AuditCheckpointRow.size).order_by(AuditCheckpointRow.size)))
        for table in (AuditEntryRow, AuditNodeRow, AuditCheckpointRow):
            s.execute(delete(table))
        s.execute(update(AuditTreeStateRow).values(size=0, frontier=b""))
        uow.commit()
    docs[index]["actor"] = "someone-else"
    events = [
        AuditEvent(
            datetime.fromisoformat(d["time"]), d["actor"], d["action"], d["subject"], d["digest"]
        )
        for d in docs
    ]
    start = 0
    for size in sizes:
        with comity.uow() as uow:
            uow.audit.record_many(events[start:size])
            uow.commit()
        start = size
