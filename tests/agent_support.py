"""Regional agents for tests: an approved world with a signed authorization, ``comity agent`` as
its own process (over mutual TLS with the certificates ``comity pki`` makes), and the deployment's
PKI made through the CLI's own code path."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from comity.adapters.signing.authorizations import sign_authorization
from comity.bootstrap import Comity
from comity.domain.authorization import SignedAuthorization
from comity.domain.productions import authorize_case
from tests.intake_support import free_port
from tests.production_support import ProductionWorld


def issue_authorization(pw: ProductionWorld, demand_id: str) -> SignedAuthorization:
    """The control plane's signed authorization for the world's approved case."""
    with pw.comity.intake_uow() as uow:
        case = uow.cases.for_demand(demand_id)
        record = uow.intake.get_demand(demand_id)
    assert case is not None
    assert record is not None
    auth = authorize_case(
        case,
        demand_id=demand_id,
        demand_reference=record.reference,
        blocked_reason=record.disclosure_blocked_reason,
        accounts={"target@example.com": "acct-0001"},
        assessment_digest="sha256:" + "00" * 32,
        authorization_id="auth-test",
        issuer="test",
        now=pw.clock.now(),
    )
    return sign_authorization(auth, pw.comity.control_plane_key)


def make_pki(comity: Comity, *regions: str) -> None:
    """``comity pki init``, an agent certificate per region, and the control plane's."""
    comity.create_ca(actor="test")
    for region in regions:
        comity.issue_certificate(region, days=30, actor="test")
    comity.issue_certificate(None, days=30, actor="test")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def agent_process(home: Path, region: str, *extra: str) -> Iterator[str]:
    """``comity agent --region REGION`` in its own process on a free port; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "comity.entrypoints.cli.main",
            "--dir",
            str(home),
            "agent",
            "--region",
            region,
            "--port",
            str(port),
            *extra,
        ],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    scheme = "http" if "--insecure-http" in extra else "https"
    deadline = time.monotonic() + 60
    try:
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _, err = process.communicate(timeout=5)
                raise RuntimeError(f"agent did not start: {err.decode()}")
            time.sleep(0.1)
        yield f"{scheme}://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
