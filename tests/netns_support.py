"""Network namespaces for the multi-host test: each region in a namespace of its own (its agent
and its PostgreSQL server), joined to the host by a veth pair, so cutting a region off is taking
its link down, not stopping a process. Root only; ``unavailable()`` says why not otherwise.

Namespaces, links and routes belong to the whole machine, and several test sessions run on it at
once (engineers in parallel, pytest-xdist workers). So each session claims a network of its own
(``10.N.0.0/16``, one not routed or claimed by another), names its namespaces after its pid and
removes all it made when it ends, however it ends; a session killed before it could clean up is
swept by the next one (its claim names a pid that no longer runs).
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

#: The networks a session may claim: ``10.N.0.0/16`` for N in this range. Region i's link is
#: ``10.N.i.0/30``: its host end ``10.N.i.1``, its namespace end ``10.N.i.2``.
SECOND_OCTETS = range(200, 255)
#: Who holds which network: one file per claimed network, naming the session's pid; and the lock
#: under which networks are claimed and stale claims swept.
CLAIMS = Path("/run/comity-test-netns")
#: The metric of a session's blackhole route, which makes its network unreachable but by its links.
BLACKHOLE_METRIC = "4000"


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
    #: The session's network (``10.N.0.0/16``), which its PostgreSQL servers trust.
    network: str

    def exec(self) -> list[str]:
        """The prefix that runs a command inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def cut(self) -> None:
        """Take the link down: nothing passes between the region and the host any more."""
        _ip("link", "set", self.host_device, "down")

    def join(self) -> None:
        _ip("link", "set", self.host_device, "up")
        _ip("route", "replace", f"{self.host_ip[:-2]}.0/30", "dev", self.host_device)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _prefix(pid: int) -> str:
    """The start of the names of every namespace of session ``pid``."""
    return f"cj-{pid}-"


def _routed() -> list[ipaddress.IPv4Network]:
    """Every IPv4 network the machine routes or has an address in now."""
    found = []
    for command in (["route", "show", "table", "all"], ["-o", "addr", "show"]):
        out = subprocess.run(
            ["ip", "-4", *command], check=True, capture_output=True, text=True, timeout=30
        ).stdout
        for word in out.split():
            with suppress(ValueError):
                found.append(ipaddress.ip_network(word, strict=False))
    return found


def _sweep(claim: Path) -> None:
    """Remove what a session that is gone left behind: its namespaces (their links go with
    them), its blackhole route and its claim."""
    pid = int(claim.read_text() or "0")
    listed = subprocess.run(
        ["ip", "netns", "list"], check=True, capture_output=True, text=True, timeout=30
    ).stdout
    for line in listed.splitlines():
        name = line.split(" ", 1)[0]
        if name.startswith(_prefix(pid)):
            with suppress(subprocess.CalledProcessError):
                _ip("netns", "del", name)
    with suppress(subprocess.CalledProcessError):
        _ip("route", "del", "unreachable", f"{claim.name}.0.0/16", "metric", BLACKHOLE_METRIC)
    claim.unlink(missing_ok=True)


@contextmanager
def _claimed_network() -> Iterator[str]:
    """A ``10.N`` prefix that no other session holds and nothing on the machine routes, held
    (with its blackhole route) until the block ends. Claims are made under a lock, so two
    sessions starting at once never take the same one."""
    CLAIMS.mkdir(parents=True, exist_ok=True)
    prefix = None
    with (CLAIMS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for claim in CLAIMS.glob("10.*"):
            if not _alive(int(claim.read_text() or "0")):
                _sweep(claim)
        routed = _routed()
        first = os.getpid() % len(SECOND_OCTETS)
        for step in range(len(SECOND_OCTETS)):
            candidate = f"10.{SECOND_OCTETS[(first + step) % len(SECOND_OCTETS)]}"
            network = ipaddress.ip_network(f"{candidate}.0.0/16")
            if (CLAIMS / candidate).exists() or any(network.overlaps(r) for r in routed):
                continue
            # Unreachable but by the session's links: while a link is down no other path (a
            # default gateway) answers for the region.
            _ip("route", "add", "unreachable", str(network), "metric", BLACKHOLE_METRIC)
            (CLAIMS / candidate).write_text(str(os.getpid()))
            prefix = candidate
            break
    if prefix is None:
        raise RuntimeError(f"no free 10.N.0.0/16 network for N in {SECOND_OCTETS}")
    try:
        yield prefix
    finally:
        with (CLAIMS / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with suppress(subprocess.CalledProcessError):
                _ip("route", "del", "unreachable", f"{prefix}.0.0/16", "metric", BLACKHOLE_METRIC)
            (CLAIMS / prefix).unlink(missing_ok=True)


@contextmanager
def namespaces(regions: Sequence[str]) -> Iterator[dict[str, Namespace]]:
    """One namespace per region, linked to the host, on a network of this session's own;
    removed on exit. While a link is down its addresses are *unreachable* from the host (a
    route says so), so no other path (a default gateway) answers for the region."""
    tag = uuid.uuid4().hex[:5]
    made: dict[str, Namespace] = {}
    with _claimed_network() as net:
        try:
            for i, region in enumerate(regions, 1):
                ns = Namespace(
                    f"{_prefix(os.getpid())}{i}-{tag}",
                    f"cjh{i}{tag}",
                    f"{net}.{i}.1",
                    f"{net}.{i}.2",
                    f"{net}.0.0/16",
                )
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


@contextmanager
def postgres(
    port: int, listen: Sequence[str], trusted: str, prefix: Sequence[str] = ()
) -> Iterator[str]:
    """A throw-away PostgreSQL server on ``port`` and the ``listen`` addresses (started under
    ``prefix``, e.g. inside a namespace), trusting the ``trusted`` network (the session's,
    ``Namespace.network``); its base URL, on the last address."""
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
            hba.write(f"host all all {trusted} trust\n")
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
