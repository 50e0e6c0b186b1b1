"""Issue 19: each region in a network namespace of its own (its agent and its PostgreSQL
server), joined to the host by a veth pair; the control plane and its database on the host.
Cutting eu-ie's link while its part runs: us-west's part completes, eu-ie's completes inside its
namespace, the control plane waits and assembles the same package once the link is back.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests import netns_support
from tests.ports_support import session_ports
from tests.production_support import approve, submit
from tests.regions_support import OPERATOR, REGIONS, HostSettings, multi_host, wait_for

#: A process inside a region's namespace that holds the region's records table until its
#: standard input closes: the part is caught running without reaching across the cut link.
HOLD_RECORDS = """
import sys, psycopg
with psycopg.connect(sys.argv[1]) as conn:
    conn.execute("LOCK TABLE records IN ACCESS EXCLUSIVE MODE")
    print("locked", flush=True)
    sys.stdin.read()
"""
#: A part's state, read inside the region's namespace from its own database.
PART_STATE = """
import sys, psycopg
with psycopg.connect(sys.argv[1]) as conn:
    row = conn.execute("SELECT state FROM comity_production_parts").fetchone()
print(row[0] if row else "none")
"""
#: The PostgreSQL servers' ports: the control plane's on the host, each region's in its namespace.
PG_PORTS = dict(zip(("control", *REGIONS), session_ports(3), strict=True))


def test_each_region_in_its_own_network_namespace_survives_a_cut_link(tmp_path: Path) -> None:
    """Each region's agent and PostgreSQL server in a namespace of its own; eu-ie's link is cut
    while its part runs: us-west's part completes, eu-ie's completes inside its namespace, the
    control plane waits (eu-ie unreachable) and assembles the same package once the link is
    back, without the agent ever stopping."""
    reason = netns_support.unavailable()
    if reason:
        pytest.skip(f"network namespaces are not available: {reason}")
    if not os.environ.get("COMITY_TEST_PG_URL") and not os.environ.get("CI"):
        pytest.skip("needs PostgreSQL: run through `make test`")
    with contextlib.ExitStack() as stack:
        spaces = stack.enter_context(netns_support.namespaces(REGIONS))
        host_ips = ["127.0.0.1", *(ns.host_ip for ns in spaces.values())]
        network = next(iter(spaces.values())).network
        control = stack.enter_context(
            netns_support.postgres(PG_PORTS["control"], host_ips, network)
        )
        bases = {"control": control.replace(host_ips[-1], "127.0.0.1")}
        for region, ns in spaces.items():
            bases[region] = stack.enter_context(
                netns_support.postgres(
                    PG_PORTS[region], ["127.0.0.1", ns.ns_ip], network, ns.exec()
                )
            )

        def as_seen_from(region: str, toml: str) -> str:
            ns = spaces[region]
            # The region reaches the control plane's database at its link's host end, and its
            # own database on its loopback (which a cut link leaves alone).
            port = PG_PORTS["control"]
            seen = toml.replace(f"127.0.0.1:{port}", f"{ns.host_ip}:{port}")
            return seen.replace(f"{ns.ns_ip}:{PG_PORTS[region]}", f"127.0.0.1:{PG_PORTS[region]}")

        settings = HostSettings(
            agent_address=lambda region: spaces[region].ns_ip,
            agent_prefix=lambda region: spaces[region].exec(),
            region_toml=as_seen_from,
        )
        hosts = stack.enter_context(multi_host(tmp_path, bases, settings))
        for agent in hosts.agents.values():
            agent.start()
        demand_id = submit(hosts.world)
        approve(hosts.world, demand_id)

        eu = spaces["eu-ie"]
        eu_local = hosts.stores["eu-ie"].replace(f"{eu.ns_ip}:", "127.0.0.1:")

        def eu_part_state() -> str:
            found = subprocess.run(
                [*eu.exec(), sys.executable, "-c", PART_STATE, eu_local],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            return found.stdout.strip()

        hold = subprocess.Popen(
            [*eu.exec(), sys.executable, "-c", HOLD_RECORDS, eu_local],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        stack.callback(hold.kill)
        assert hold.stdout is not None
        assert hold.stdout.readline().strip() == b"locked"
        producing = hosts.popen("produce", "case-1", "--by", "admin", log=tmp_path / "produce.log")
        stack.callback(lambda: producing.poll() is None and producing.kill())

        def caught() -> bool:
            found = hosts.control_plane().productions.list_productions(OPERATOR, demand_id)
            if not found:
                return False
            parts = hosts.parts(found[-1].id)
            return parts["us-west"].done and parts["eu-ie"].state == "running"

        wait_for(caught, "us-west done and eu-ie running", tmp_path / "produce.log")
        eu.cut()
        assert hold.stdin is not None
        hold.stdin.close()  # eu-ie's worker goes on, inside its namespace
        hold.wait(timeout=30)
        wait_for(lambda: eu_part_state() == "done", "eu-ie's part to finish behind the cut")

        production = hosts.production(demand_id)
        assert production.status == "producing"
        parts = hosts.parts(production.id)
        assert parts["us-west"].done
        assert parts["eu-ie"].state == "unreachable"
        assert producing.poll() is None, "the control plane waits for the cut-off region"

        eu.join()
        assert producing.wait(timeout=180) == 0, (tmp_path / "produce.log").read_text()
        production = hosts.production(demand_id)
        assert production.status == "published"
        hosts.verifies(production)
        parts = hosts.parts(production.id)
        assert parts["eu-ie"].done
        assert parts["eu-ie"].attempts == 1  # never stopped: the link was cut, not the agent
        package = Path(production.path).read_bytes()
        assert hosts.in_process_package(production, tmp_path / "in-process") == package
