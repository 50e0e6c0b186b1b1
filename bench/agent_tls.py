"""Reading a region's granted records through its agent over mutual TLS, against in-process.

    .venv/bin/python bench/agent_tls.py                      # 5,000 messages, ~80 MiB
    .venv/bin/python bench/agent_tls.py --messages 20000 --mib 320 --port 18061

Ingests synthetic messages into an encrypted eu-ie store (untimed, ``bench/produce.py``'s
generator), makes the deployment's CA and certificates with ``comity pki``'s code, then times, in
the same run and on the same store and authorization:

- in-process: ``LocalRegionAgent.release`` (checks, reads, decrypts) consumed in this process;
- over mutual TLS: the same agent served by ``run_agent`` (uvicorn, the agent's own process,
  TLS 1.3 with client certificates) and read by ``HttpRegionAgent`` with the control plane's
  certificate: the region check in the handshake, the framed stream, the client's decoding.

Each is run ``--repeat`` times; the best of each is reported, with MB/s of message bytes and the
ratio (mutual TLS time / in-process time): the overhead of putting a region on its own host,
less the network itself (loopback).
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from comity.adapters.agent.client import HttpRegionAgent
from comity.adapters.agent.serve import run_agent
from comity.adapters.agent.server import create_agent_app
from comity.adapters.signing.authorizations import sign_authorization, verify_authorization
from comity.adapters.signing.ed25519 import PublicKey, SigningKey
from comity.adapters.tls.layout import CONTROL_PLANE_NAME, PkiLayout, TlsFiles, agent_name
from comity.adapters.tls.pki import init_ca, issue
from comity.bootstrap import open_deployment
from comity.domain.authorization import Authorization, RegionGrant, SignedAuthorization
from comity.domain.categories import Category
from comity.domain.demand import Period
from comity.services.productions.agent import LocalRegionAgent
from produce import _At, _Disclose, messages  # the same store and law stand-in

NOW = datetime.now(UTC)


def _agent(home: Path, control: PublicKey, auth: Authorization) -> LocalRegionAgent:
    comity = open_deployment(home)

    def verify(s: SignedAuthorization, now: datetime, region: str) -> Authorization:
        return verify_authorization(s, [control], now=now, region=region)

    return LocalRegionAgent(comity.region_store("eu-ie"), verify, _Disclose(auth), _At())


def _serve(home: Path, control_pem: bytes, signed_bytes: bytes, port: int) -> None:
    """The agent's own process: the app ``comity agent`` serves, over mutual TLS."""
    signed = SignedAuthorization.from_bytes(signed_bytes)
    control = PublicKey.from_pem(control_pem)
    agent = _agent(home, control, signed.authorization)
    app = create_agent_app(agent, control.key_id, require_control_plane=True)
    pki = PkiLayout(home)
    name = agent_name("eu-ie")
    run_agent(app, "127.0.0.1", port, TlsFiles(pki.ca_cert, pki.cert(name), pki.key(name)))


def _wait(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"the agent did not listen on port {port}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--mib", type=int, default=80, help="total size of the messages")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--port", type=int, default=18061, help="the agent's loopback port")
    parser.add_argument("--tmp", type=Path, default=None, help="where to write (default: $TMPDIR)")
    args = parser.parse_args()
    mean = args.mib * (1 << 20) // args.messages
    control = SigningKey.generate()
    auth = Authorization(
        "bench",
        "dem-bench",
        "BENCH-1",
        "sha256:" + "0" * 64,
        (
            RegionGrant(
                "eu-ie",
                ("acct-0001",),
                (Category.CONTENT,),
                Period(date(2013, 1, 1), date(2030, 1, 1)),
            ),
        ),
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
        "bench",
    )
    signed = sign_authorization(auth, control)
    work = Path(tempfile.mkdtemp(prefix="comity-bench-tls-", dir=args.tmp))
    server = None
    try:
        home = work / "deployment"
        bench_produce = Path(__file__).resolve().parent / "produce.py"
        subprocess.run(
            [
                sys.executable,
                str(bench_produce),
                *("--messages", str(args.messages), "--mib", str(args.mib)),
                *("--ingest-into", str(home)),
            ],
            check=True,
        )
        pki = PkiLayout(home)
        init_ca(pki, NOW, name="bench")
        issue(pki, NOW, region_id="eu-ie", days=1)
        issue(pki, NOW, region_id=None, days=1)
        total = sum(len(r.body) for r in messages(args.messages, mean))

        server = multiprocessing.get_context("spawn").Process(
            target=_serve,
            args=(home, control.public.pem(), signed.to_bytes(), args.port),
            daemon=True,
        )
        server.start()
        _wait(args.port)
        local = _agent(home, control.public, auth)
        remote = HttpRegionAgent(
            "eu-ie",
            f"https://127.0.0.1:{args.port}",
            tls=TlsFiles(pki.ca_cert, pki.cert(CONTROL_PLANE_NAME), pki.key(CONTROL_PLANE_NAME)),
        )

        def timed(agent: LocalRegionAgent | HttpRegionAgent) -> float:
            started = time.perf_counter()
            size = sum(len(r.body) for r in agent.release(signed))
            elapsed = time.perf_counter() - started
            if size != total:
                raise SystemExit(f"read {size} bytes, expected {total}")
            return elapsed

        in_process = min(timed(local) for _ in range(args.repeat))
        over_tls = min(timed(remote) for _ in range(args.repeat))
        mb = total / 1e6
        print(f"messages:           {args.messages} ({mb:.1f} MB), best of {args.repeat}")
        print(f"in-process agent:   {in_process:.2f} s, {mb / in_process:.1f} MB/s")
        print(f"agent over mTLS:    {over_tls:.2f} s, {mb / over_tls:.1f} MB/s")
        print(f"ratio (mTLS time / in-process time): {over_tls / in_process:.2f}")
    finally:
        if server is not None:
            server.terminate()
            server.join(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
