"""Network namespaces for the multi-host test: each region in a namespace of its own (its agent
and its PostgreSQL server), joined to the host by a veth pair, so cutting a region off is taking
its link down, not stopping a process. Root only; ``unavailable()`` says why not otherwise."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

#: Addresses of the test's links: region i's host end is 10.231.i.1, its namespace end 10.231.i.2.
NET = "10.231"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


def unavailable() -> str | None:
    """Why network namespaces cannot be used here, or None if they can."""
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "creating network namespaces needs root"
    probe = f"cjp{uuid.uuid4().hex[:6]}"
    try:
        _ip("netns", "add", probe)
    except subprocess.CalledProcessError as exc:
        return f"`ip netns add` is refused here: {exc.stderr.decode().strip()}"
    _ip("netns", "del", probe)
    return None


@dataclass(frozen=True)
class Namespace:
    """One region's network: its namespace, and the host end of its link."""

    name: str
    host_device: str
    host_ip: str
    ns_ip: str

    def exec(self) -> list[str]:
        """The prefix that runs a command inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def cut(self) -> None:
        """Take the link down: nothing passes between the region and the host any more."""
        _ip("link", "set", self.host_device, "down")

    def join(self) -> None:
        _ip("link", "set", self.host_device, "up")
        _ip("route", "replace", f"{self.host_ip[:-2]}.0/30", "dev", self.host_device)


@contextmanager
def namespaces(regions: Sequence[str]) -> Iterator[dict[str, Namespace]]:
    """One namespace per region, linked to the host; removed on exit. While a link is down its
    addresses are *unreachable* from the host (a route says so), so no other path (a default
    gateway) answers for the region."""
    tag = uuid.uuid4().hex[:5]
    made: dict[str, Namespace] = {}
    blackhole = f"{NET}.0.0/16"
    try:
        _ip("route", "add", "unreachable", blackhole, "metric", "4000")
        for i, region in enumerate(regions, 1):
            ns = Namespace(f"cj{i}{tag}", f"cjh{i}{tag}", f"{NET}.{i}.1", f"{NET}.{i}.2")
            inner = f"cjn{i}{tag}"
            _ip("netns", "add", ns.name)
            made[region] = ns
            _ip("link", "add", ns.host_device, "type", "veth", "peer", "name", inner)
            _ip("link", "set", inner, "netns", ns.name)
            _ip("addr", "add", f"{ns.host_ip}/30", "dev", ns.host_device)
            _ip("link", "set", ns.host_device, "up")
            _ip("-n", ns.name, "addr", "add", f"{ns.ns_ip}/30", "dev", inner)
            _ip("-n", ns.name, "link", "set", inner, "up")
            _ip("-n", ns.name, "link", "set", "lo", "up")
            _ip("-n", ns.name, "route", "add", "default", "via", ns.host_ip)
        yield made
    finally:
        for ns in made.values():
            with suppress(subprocess.CalledProcessError):
                _ip("netns", "del", ns.name)
            with suppress(subprocess.CalledProcessError):
                _ip("link", "del", ns.host_device)
        with suppress(subprocess.CalledProcessError):
            _ip("route", "del", "unreachable", blackhole, "metric", "4000")


@contextmanager
def postgres(port: int, listen: Sequence[str], prefix: Sequence[str] = ()) -> Iterator[str]:
    """A throw-away PostgreSQL server on ``port`` and the ``listen`` addresses (started under
    ``prefix``, e.g. inside a namespace), trusting the test's networks; its base URL, on the
    last address."""
    bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not bindir:
        raise RuntimeError("PostgreSQL's server is not installed (make system-deps)")
    binaries = bindir[-1]
    root = Path(tempfile.mkdtemp(prefix="comity-pg-jobs-", dir="/tmp"))
    root.chmod(0o755)
    owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if owner:
        shutil.chown(root, "postgres")
    data = root / "data"

    def run(*command: str) -> None:
        subprocess.run([*command], check=True, capture_output=True, timeout=120, cwd=root)

    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, True)
        run(
            *owner,
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "comity",
            "-A",
            "trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {NET}.0.0/16 trust\n")
        options = f"-k {root} -p {port} -h {','.join(listen)} -c fsync=off -c max_connections=100"
        run(
            *prefix,
            *owner,
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "server.log"),
            "-w",
            "-o",
            options,
            "start",
        )
        stack.callback(
            subprocess.run,
            [*prefix, *owner, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            cwd=root,
        )
        yield f"postgresql://comity@{listen[-1]}:{port}/postgres"
