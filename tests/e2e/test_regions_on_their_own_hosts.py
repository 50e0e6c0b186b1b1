"""Issue 19: regions on their own hosts. A control plane and two regional agents run as separate
processes, each region with its own PostgreSQL database (one database per region in the test
cluster), its own deployment directory and its own SoftHSM token holding its key; the control
plane holds no region key, and it talks mutual TLS with the agents with certificates from
``comity pki`` (each agent holds only its own certificate and key). A production
of a case spanning both regions runs as one durable part per region (ADR 0012), the package
verifies and has the bytes of the in-process path; an agent killed mid-part resumes its part
when it returns, the other region's part completes meanwhile, and the package is the same.
"""

from __future__ import annotations

import json
import os
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pyotp
import pytest
from tests.hsm_support import TokenPool
from tests.production_support import approve, submit
from tests.regions_support import OPERATOR, REGIONS, HostSettings, MultiHost, multi_host, wait_for
from tests.web_support import PASSWORD, csrf_of

from comity.domain.authorization import SignedAuthorization
from comity.services import sign_in


@pytest.fixture
def hosts(tmp_path: Path, pg_url: str, hsm_tokens: TokenPool) -> Iterator[MultiHost]:
    del pg_url  # the fixture skips outside `make test`; the hosts make their own databases
    tokens = {region: hsm_tokens.take() for region in REGIONS}
    settings = HostSettings(region_lines=lambda region: f'keyring = "{tokens[region].url()}"')
    assert settings.scheme == "https"  # mutual TLS is the default
    with multi_host(tmp_path, os.environ["COMITY_TEST_PG_URL"], settings) as made:
        for agent in made.agents.values():
            agent.start()
        yield made


def test_a_case_spanning_two_regions_is_produced_through_their_agents_and_verifies(
    hosts: MultiHost, tmp_path: Path
) -> None:
    demand_id = submit(hosts.world)
    approve(hosts.world, demand_id)
    held = {p.name for p in (hosts.control / "keys").iterdir()}
    assert not held & {"us-west.key", "eu-ie.key"}, "the control plane holds no region key"
    for agent in hosts.agents.values():
        assert agent.url.startswith("https://")
        kept = {p.name for p in (agent.home / "keys").rglob("*") if p.is_file()}
        assert kept == {"control-plane.pub.pem", f"agent-{agent.region}.key"}, kept

    # Each region's key custody is its own HSM token, its agent reached over mutual TLS with
    # the certificate `comity pki` issued to it.
    listed = hosts.cli("regions", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    for row in json.loads(listed.stdout):
        assert row["key_custody"].startswith("pkcs11 token comity-test-"), row
        assert row["agent"] == hosts.agents[row["id"]].url
        assert row["agent_certificate"]["role"] == f"region:{row['id']}"
    shown = hosts.cli("regions", "list", "--wide")
    assert shown.returncode == 0, shown.stderr
    for region in REGIONS:
        assert f"region:{region} until" in shown.stdout

    made = hosts.cli("produce", "case-1", "--by", "admin", timeout=180)
    assert made.returncode == 0, made.stdout + made.stderr
    production = hosts.production(demand_id)
    assert production.status == "published"
    assert production.record_count == 5  # 3 messages in eu-ie, subscriber and login in us-west
    hosts.verifies(production)

    parts = hosts.parts(production.id)
    assert {r: p.state for r, p in parts.items()} == {"us-west": "done", "eu-ie": "done"}
    _parts_are_served_only_to_the_control_plane(hosts, production.authorization)
    assert (parts["eu-ie"].records, parts["us-west"].records) == (3, 2)
    shown = hosts.cli("productions", "show", production.id)
    assert shown.returncode == 0, shown.stderr
    for word in ("us-west", "eu-ie", "done"):
        assert word in shown.stdout

    # Byte-identical to the in-process path for the same authorization.
    package = Path(production.path).read_bytes()
    assert hosts.in_process_package(production, tmp_path / "in-process") == package

    # A part rests sealed in its region's own directory: no plaintext on the agent's disk.
    part_files = list((hosts.agents["eu-ie"].home / "regions" / "eu-ie" / "parts").iterdir())
    assert [p.suffix for p in part_files] == [".part"]
    assert b"Hello 0." not in part_files[0].read_bytes()
    assert b"Hello 0." in package


def test_an_agent_killed_mid_part_resumes_when_it_returns_and_the_package_is_the_same(
    hosts: MultiHost, tmp_path: Path
) -> None:
    demand_id = submit(hosts.world)
    approve(hosts.world, demand_id)
    eu = hosts.agents["eu-ie"]

    # Hold eu-ie's records table so its part is caught running, then kill its agent.
    with psycopg.connect(hosts.stores["eu-ie"]) as lock:
        lock.execute("LOCK TABLE records IN ACCESS EXCLUSIVE MODE")
        producing = hosts.popen("produce", "case-1", "--by", "admin", log=tmp_path / "produce.log")
        try:

            def caught() -> bool:
                found = hosts.control_plane().productions.list_productions(OPERATOR, demand_id)
                if not found:
                    return False
                parts = hosts.parts(found[-1].id)
                return parts["us-west"].done and parts["eu-ie"].state == "running"

            wait_for(caught, "us-west done and eu-ie running", tmp_path / "produce.log")
            eu.kill()
            lock.rollback()
        except BaseException:
            producing.kill()
            raise

    try:
        production = hosts.production(demand_id)
        parts = hosts.parts(production.id)
        assert parts["us-west"].done
        assert parts["eu-ie"].state == "unreachable"
        assert producing.poll() is None, "the control plane waits for the stopped region"
        assert production.status == "producing"
        shown = hosts.cli("productions", "show", production.id)
        assert "unreachable" in shown.stdout, shown.stdout + shown.stderr
        _console_shows_the_parts(hosts, demand_id)

        eu.start()  # its worker finds the part stalled (its old worker is silent) and reruns it
        assert producing.wait(timeout=180) == 0, (tmp_path / "produce.log").read_text()
    finally:
        if producing.poll() is None:
            producing.kill()

    production = hosts.production(demand_id)
    assert production.status == "published"
    hosts.verifies(production)
    parts = hosts.parts(production.id)
    assert parts["eu-ie"].done
    assert parts["eu-ie"].attempts >= 2
    assert parts["us-west"].attempts == 1
    package = Path(production.path).read_bytes()
    assert hosts.in_process_package(production, tmp_path / "in-process") == package


def _console_shows_the_parts(hosts: MultiHost, demand_id: str) -> None:
    """The console of ``comity serve`` shows each region's part of the waiting production."""
    comity = hosts.control_plane()
    sign_in.set_password(comity.console_uow, comity.clock, "admin", PASSWORD, actor="test")
    secret = sign_in.enrol_totp(comity.console_uow, comity.clock, "admin", actor="test")
    with hosts.serving() as url, httpx.Client(base_url=url, timeout=30) as client:
        token = csrf_of(client.get("/sign-in").text)
        signed_in = client.post(
            "/sign-in",
            data={
                "email": hosts.world.admin.email,
                "password": PASSWORD,
                "code": pyotp.TOTP(secret).now(),
                "csrf": token,
            },
        )
        assert signed_in.status_code in {200, 303}, signed_in.text
        page = client.get(f"/console/demands/{demand_id}")
    assert page.status_code == 200, page.text
    parts = re.findall(
        r'<span class="part-region">([^<]+)</span>: <span class="part-state">([^<]+)</span>',
        page.text,
    )
    assert dict(parts) == {"us-west": "done", "eu-ie": "unreachable"}


def _parts_are_served_only_to_the_control_plane(hosts: MultiHost, authorization: str) -> None:
    """The part endpoints take the same client-certificate check as ``/release``: a client
    without the control plane's certificate gets a 403 sentence and no part, not even its state."""
    authorization_id = SignedAuthorization.from_bytes(authorization.encode()).authorization.id
    bare = ssl.create_default_context(cafile=str(hosts.control / "pki" / "ca.pem"))
    bare.check_hostname = False
    url = hosts.agents["eu-ie"].url
    with httpx.Client(verify=bare, timeout=30) as client:
        answers = [
            client.get(f"{url}/parts/{authorization_id}"),
            client.post(f"{url}/parts", content=authorization),
            client.post(f"{url}/parts/records", content=authorization),
        ]
    for answer in answers:
        assert answer.status_code == 403, answer.text
        assert (
            "serves only the control plane; the client presented no certificate"
            in (answer.json()["error"]["message"])
        )
