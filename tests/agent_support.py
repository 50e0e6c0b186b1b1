"""Regional agents for tests: an approved world with a signed authorization, ``comity agent`` as
its own process (over mutual TLS with the certificates ``comity pki`` makes), and the deployment's
PKI made through the CLI's own code path."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from comity.adapters.signing.authorizations import sign_authorization
from comity.adapters.tls.layout import PkiLayout, TlsFiles
from comity.adapters.tls.pki import issue
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
def agent_process(home: Path, region: str, *extra: str, port: int | None = None) -> Iterator[str]:
    """``comity agent --region REGION`` in its own process on ``port`` (else a free one);
    yields its URL."""
    port = port or free_port()
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


class ConnectionCounter:
    """A TCP relay on a free loopback port in front of an agent: it counts the connections the
    agent is sent (each one a TLS handshake: the relay does not touch the bytes, so mutual TLS
    and the peer checks are end to end)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.accepted = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            self.accepted += 1
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def close(self) -> None:
        self._listener.close()
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    """Copy bytes one way until either side closes, then close both ways."""
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    for sock in (source, sink):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def counting_connections(url: str) -> Iterator[tuple[str, ConnectionCounter]]:
    """The agent at ``url`` behind a ``ConnectionCounter``: the URL to call it at, and the
    counter."""
    address, _, port = url.rpartition(":")
    counter = ConnectionCounter(int(port))
    try:
        yield f"{address}:{counter.port}", counter
    finally:
        counter.close()


def expired_copy(pki: PkiLayout, elsewhere: Path, region: str | None) -> TlsFiles:
    """A certificate from the deployment CA that expired yesterday, in another directory."""
    other = PkiLayout(elsewhere)
    other.ca_cert.parent.mkdir(parents=True)
    other.ca_key.parent.mkdir(parents=True, mode=0o700)
    shutil.copy(pki.ca_cert, other.ca_cert)
    shutil.copy(pki.ca_key, other.ca_key)
    info = issue(other, datetime.now(UTC) - timedelta(days=3), region_id=region, days=1)
    key = other.key(info.path.stem)
    return TlsFiles(pki.ca_cert, info.path, key)
