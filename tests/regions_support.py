"""Regions on hosts of their own, for the multi-process tests: a control plane and one agent per
region, each with its own deployment directory (as on its own host) and its own PostgreSQL
database, set up by one helper.

``HostSettings`` is where what each host adds to its ``comity.toml`` is decided, so transport
security (mutual TLS between the control plane and the agents, the default: certificates from
``comity pki``, each agent holding only its own) and a region's keyring (an HSM token instead of
a key file) are added by configuration, not by another setup.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from comity.adapters.tls.contexts import client_context
from comity.adapters.tls.layout import TlsFiles, agent_name
from comity.bootstrap import Comity, open_deployment
from comity.domain.authorization import SignedAuthorization
from comity.domain.demand_schema import parse_demand
from comity.domain.registry import StaffRole, User
from comity.law.countries import known_countries
from comity.services.productions.parts_ports import PartStatus
from comity.services.productions.ports import Production
from comity.services.productions.produce import package_facts
from tests.agent_support import make_pki
from tests.conftest import FixedClock
from tests.ports_support import session_ports
from tests.production_support import ProductionWorld, build

REGIONS = ("us-west", "eu-ie")
#: This session's loopback ports: the control plane's API, then one per region's agent. Free
#: ports of this process's own (``ports_support``), so sessions running at once on one machine
#: do not meet; ``COMITY_TEST_REGIONS_PORT=P`` fixes them at P, P+1 and P+2 instead.
_FIXED = os.environ.get("COMITY_TEST_REGIONS_PORT")
CONTROL_PORT, *_AGENTS = (
    [int(_FIXED), int(_FIXED) + 1, int(_FIXED) + 2] if _FIXED else session_ports(3)
)
AGENT_PORTS = dict(zip(REGIONS, _AGENTS, strict=True))
#: Reads every production and part (all staff roles), as the command line's operator does.
OPERATOR = User("ops", "operator", "ops@localhost", roles=frozenset(StaffRole))
#: Every wait in these tests ends by this many seconds.
START_TIMEOUT = 60.0


@dataclass(frozen=True)
class HostSettings:
    """What each host's ``comity.toml`` adds beyond stores and agents: the place for TLS
    settings (``[agents.R]`` client certificates, the agent's server certificate) and a region's
    keyring URL (``keyring = "pkcs11:..."``)."""

    #: Extra lines in ``[regions.R]`` (e.g. ``keyring = "..."``), by region.
    region_lines: Callable[[str], str] = lambda _region: ""
    #: Extra lines in ``[agents.R]`` on the control plane (e.g. client certificate files).
    agent_lines: Callable[[str], str] = lambda _region: ""
    #: Extra ``comity agent`` arguments for a region's agent (e.g. its server certificate).
    agent_args: Callable[[str], list[str]] = lambda _region: []
    #: The scheme the control plane reaches agents with: ``https`` is mutual TLS with
    #: certificates from ``comity pki``; ``http`` runs the agents with ``--insecure-http``
    #: (loopback addresses only).
    scheme: str = "https"
    #: The address a region's agent listens on and the control plane reaches it at.
    agent_address: Callable[[str], str] = lambda _region: "127.0.0.1"
    #: What a region's processes run under (e.g. ``ip netns exec NS``: its own network).
    agent_prefix: Callable[[str], list[str]] = lambda _region: []
    #: A region host's ``comity.toml`` as that host sees the others (addresses differ per host).
    region_toml: Callable[[str, str], str] = lambda _region, toml: toml


def _toml(control: str, stores: dict[str, str], settings: HostSettings) -> str:
    lines = [
        "[provider]",
        'name = "Example Mail Inc."',
        'established_in = "US"',
        'offers_services_in = ["US", "IE", "DE", "GB"]',
        "",
        "[control_plane]",
        f'database = "{control}"',
    ]
    countries = {"us-west": "US", "eu-ie": "IE"}
    for region in REGIONS:
        lines += [
            "",
            f"[regions.{region}]",
            f'country = "{countries[region]}"',
            f'store = "{stores[region]}"',
            settings.region_lines(region),
        ]
    return "\n".join(lines) + "\n"


@dataclass
class AgentHost:
    """One region's host: its deployment directory and its ``comity agent`` process."""

    region: str
    home: Path
    port: int
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    address: str = "127.0.0.1"
    prefix: list[str] = field(default_factory=list)
    #: The control plane's CA, certificate and key (mutual TLS), or None for plain HTTP.
    tls: TlsFiles | None = None

    @property
    def url(self) -> str:
        scheme = "http" if self.tls is None else "https"
        return f"{scheme}://{self.address}:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "agent.log"

    def start(self, stalled_after: float = 2.0) -> None:
        command = [
            *self.prefix,
            *comity_command(self.home),
            "agent",
            "--region",
            self.region,
            "--host",
            self.address,
            "--port",
            str(self.port),
            "--stalled-after",
            str(stalled_after),
            *(["--insecure-http"] if self.tls is None else []),
            *self.args,
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log, env=_env())
        wait_for(self._healthy, f"the agent of {self.region} to start", self.log)

    def _healthy(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"the agent of {self.region} exited: {self.log.read_text()}")
        verify = True if self.tls is None else client_context(self.tls)
        try:
            answer = httpx.get(f"{self.url}/health", timeout=1, verify=verify)
            return bool(answer.json()["region"] == self.region)
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """SIGKILL: the agent (and its worker) stop at once, as a host lost would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None


@dataclass
class MultiHost:
    """The control plane's directory, each region's host, and the setup world (demands, cases)."""

    world: ProductionWorld
    control: Path
    #: A directory holding every region's key and no agents: the in-process path, to compare.
    reference: Path
    agents: dict[str, AgentHost]
    stores: dict[str, str]

    def control_plane(self) -> Comity:
        return open_deployment(self.control)

    def production(self, demand_id: str) -> Production:
        """The demand's latest production, as the control plane has it."""
        found = self.control_plane().productions.list_productions(OPERATOR, demand_id)
        assert found, f"no production of {demand_id}"
        return found[-1]

    def parts(self, production_id: str) -> dict[str, PartStatus]:
        """Each region's part, as the control plane hears it from the agents now."""
        statuses = self.control_plane().productions.part_statuses(OPERATOR, production_id)
        return {s.region: s for s in statuses}

    def verifies(self, production: Production) -> None:
        """``comity verify`` accepts the package with the provider's published key."""
        key = str(self.control / "keys" / "provider.pub.pem")
        checked = self.cli("verify", production.path, "--key", key)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    def in_process_package(self, production: Production, out: Path) -> bytes:
        """The package the in-process path writes for the same authorization and time."""
        comity = self.in_process()
        signed = SignedAuthorization.from_bytes(production.authorization.encode())
        with comity.intake_uow() as uow:
            record = uow.intake.get_demand(production.demand_id)
        assert record is not None
        demand, problems = parse_demand(record.document, known_countries=known_countries())
        assert demand is not None, problems
        facts = package_facts(demand, production, comity.deployment.provider.name)
        regions = signed.authorization.regions
        streams = ((r, comity.local_agent(r).release(signed)) for r in regions)
        out.mkdir(parents=True, exist_ok=True)
        name = out / Path(production.path).name
        return comity.productions.writer.write(name, signed, facts, streams).path.read_bytes()

    def in_process(self) -> Comity:
        return open_deployment(self.reference)

    def cli(self, *args: str, timeout: float = START_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*comity_command(self.control), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_env(),
            check=False,
        )

    @contextmanager
    def serving(self) -> Iterator[str]:
        """``comity serve`` of the control plane (API, console) on this engineer's port."""
        log = self.control / "serve.log"
        process = self.popen("serve", "--port", str(CONTROL_PORT), log=log)
        url = f"http://127.0.0.1:{CONTROL_PORT}"

        def up() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"comity serve exited: {log.read_text()}")
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for(up, "comity serve to start", log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()

    def popen(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                [*comity_command(self.control), *args], stdout=out, stderr=out, env=_env()
            )


def comity_command(home: Path) -> list[str]:
    return [sys.executable, "-m", "comity.entrypoints.cli.main", "--dir", str(home)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1"}


def wait_for(
    ready: Callable[[], bool], what: str, log: Path | None = None, timeout: float = START_TIMEOUT
) -> None:
    """Poll ``ready`` until it holds or ``timeout`` seconds pass (then fail, naming ``what``)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            raise AssertionError(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.1)


def _first_connection(base_url: str) -> psycopg.Connection[Any]:
    """A connection to a server that was just started: a server started in a network namespace
    can refuse for a moment after `pg_ctl -w` returns (its listen address on a veth link that was
    just configured), so refusals are retried within START_TIMEOUT, then reported."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            return psycopg.connect(base_url, autocommit=True)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def databases(base_url: str, names: list[str]) -> Iterator[dict[str, str]]:
    """One fresh database per name in the test cluster (a region's database on its host)."""
    made = {name: f"t_{uuid.uuid4().hex[:10]}_{name.replace('-', '_')}" for name in names}
    with _first_connection(base_url) as conn:
        for db in made.values():
            conn.execute(f'CREATE DATABASE "{db}"')
    try:
        root = base_url.rsplit("/", 1)[0]
        yield {name: f"{root}/{db}" for name, db in made.items()}
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            for db in made.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


@contextmanager
def multi_host(
    root: Path, base_url: str | dict[str, str], settings: HostSettings | None = None
) -> Iterator[MultiHost]:
    """Set up the three hosts (not started): the control plane's directory, with the world's
    registry, accounts and mail ingested into each region's database, then one directory per
    agent with only what its host holds (the deployment file, its region's key unless an HSM
    holds it, the control plane's public key, and over mutual TLS the CA's certificate and the
    agent's own certificate and key); the control plane keeps no region key.

    ``base_url`` is the PostgreSQL server of every database, or one per host (``control`` and
    each region) when each runs its own."""
    settings = settings or HostSettings()
    hosts_of = ["control", *REGIONS]
    bases = base_url if isinstance(base_url, dict) else dict.fromkeys(hosts_of, base_url)
    with contextlib.ExitStack() as stack:
        urls = {
            name: stack.enter_context(databases(bases[name], [name]))[name] for name in hosts_of
        }
        stores = {region: urls[region] for region in REGIONS}
        toml = _toml(urls["control"], stores, settings)
        control = root / "control-plane"
        world = build(control, FixedClock(datetime.now(UTC)), toml=toml)
        world.comity.signing_keys()  # the control plane's and provider's keys, published
        tls = settings.scheme == "https"
        if tls:
            make_pki(world.comity, *REGIONS)  # `comity pki init` and `issue`, on the audit log
        reference = root / "reference"
        shutil.copytree(control / "keys", reference / "keys")
        (reference / "comity.toml").write_text(toml)
        agents: dict[str, AgentHost] = {}
        for region in REGIONS:
            home = root / f"agent-{region}"
            (home / "keys").mkdir(parents=True)
            (home / "comity.toml").write_text(settings.region_toml(region, toml))
            for name in (f"{region}.key", "control-plane.pub.pem"):
                if (control / "keys" / name).exists():  # no key file for a region in an HSM
                    shutil.copy2(control / "keys" / name, home / "keys" / name)
            if tls:
                _copy_agent_pki(world.comity, region, home)
            agents[region] = AgentHost(
                region,
                home,
                AGENT_PORTS[region],
                settings.agent_args(region),
                address=settings.agent_address(region),
                prefix=settings.agent_prefix(region),
                tls=world.comity.control_plane_tls(region) if tls else None,
            )
        for region in REGIONS:
            (control / "keys" / f"{region}.key").unlink(missing_ok=True)
        agent_tables = "".join(
            f"\n[agents.{region}]\n"
            f'url = "{settings.scheme}://{settings.agent_address(region)}:{AGENT_PORTS[region]}"\n'
            + settings.agent_lines(region)
            for region in REGIONS
        )
        (control / "comity.toml").write_text(toml + agent_tables)
        hosts = MultiHost(world, control, reference, agents, stores)
        try:
            yield hosts
        finally:
            for agent in agents.values():
                with suppress(Exception):
                    agent.stop()


def _copy_agent_pki(control: Comity, region: str, home: Path) -> None:
    """What ``comity pki issue agent REGION`` tells the operator to copy to the region's host:
    the CA's certificate, the agent's certificate and its key (0600 in a 0700 directory)."""
    name = agent_name(region)
    (home / "pki").mkdir(exist_ok=True)
    (home / "keys" / "pki").mkdir(mode=0o700)
    shutil.copy2(control.pki.ca_cert, home / "pki" / control.pki.ca_cert.name)
    shutil.copy2(control.pki.cert(name), home / "pki" / control.pki.cert(name).name)
    shutil.copy2(control.pki.key(name), home / "keys" / "pki" / control.pki.key(name).name)
