"""The control plane's connections to a regional agent (issue 19): one keep-alive connection
serves many calls, a certificate rotated on disk is used by the next call without a restart, and
the region's certificate is still checked on every connection and every answer.

Real ``comity agent`` processes over mutual TLS; the connections are counted by a relay in front
of the agent (``agent_support.ConnectionCounter``), which passes the TLS bytes untouched."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.agent_support import (
    agent_process,
    counting_connections,
    expired_copy,
    issue_authorization,
    make_pki,
)
from tests.conftest import FixedClock
from tests.intake_support import free_port
from tests.production_support import ProductionWorld, approve, build, submit

from comity.adapters.agent.client import HttpRegionAgent
from comity.bootstrap import open_deployment
from comity.domain.authorization import SignedAuthorization
from comity.errors import ConfigurationError, NotFound

#: What a SQLite region's agent (no part queue) answers to a part's status: a real answer, whose
#: peer is checked like any other.
NO_QUEUE = "refused"


@pytest.fixture
def world(tmp_path: Path) -> tuple[ProductionWorld, SignedAuthorization]:
    pw = build(tmp_path / "dep", FixedClock(datetime.now(UTC).replace(microsecond=0)))
    demand_id = submit(pw)
    approve(pw, demand_id)
    make_pki(pw.comity, "eu-ie", "us-west")
    return pw, issue_authorization(pw, demand_id)


def test_many_calls_share_one_connection_and_one_handshake(
    world: tuple[ProductionWorld, SignedAuthorization],
) -> None:
    pw, signed = world
    expected = list(pw.comity.local_agent("eu-ie").release(signed))
    with (
        agent_process(pw.comity.home, "eu-ie") as url,
        counting_connections(url) as (relayed, counter),
    ):
        agent = HttpRegionAgent("eu-ie", relayed, tls=pw.comity.control_plane_tls("eu-ie"))
        for _ in range(5):
            with pytest.raises(NotFound, match=NO_QUEUE):
                agent.status("auth-test")
        assert agent.submit(signed) is None  # a SQLite region keeps no queue
        assert list(agent.release(signed)) == expected
        assert counter.accepted == 1

        # Several threads at once (productions and holds do): each is answered, and the
        # connections opened are at most one per thread, reused afterwards.
        def ask(_: int) -> str:
            with pytest.raises(NotFound) as refused:
                agent.status("auth-test")
            return str(refused.value)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(ask, range(40)))
        assert len(answers) == 40
        assert counter.accepted <= 1 + 4
        agent.close()


def test_a_rotated_control_plane_certificate_is_used_by_the_next_call(
    world: tuple[ProductionWorld, SignedAuthorization], tmp_path: Path
) -> None:
    pw, signed = world
    comity = pw.comity
    files = comity.control_plane_tls("eu-ie")
    with (
        agent_process(comity.home, "eu-ie") as url,
        counting_connections(url) as (relayed, counter),
    ):
        agent = HttpRegionAgent("eu-ie", relayed, tls=files)
        assert len(list(agent.release(signed))) == 3
        assert counter.accepted == 1

        # An expired certificate of the same CA written over the files in place (same inodes):
        # the next call presents it, and the agent refuses it.
        expired = expired_copy(comity.pki, tmp_path / "expired", None)
        inodes = (files.cert.stat().st_ino, files.key.stat().st_ino)
        kept_cert, kept_key = files.cert.read_bytes(), files.key.read_bytes()
        files.cert.write_bytes(expired.cert.read_bytes())
        files.key.write_bytes(expired.key.read_bytes())
        assert (files.cert.stat().st_ino, files.key.stat().st_ino) == inodes
        with pytest.raises(
            ConfigurationError, match=r"this control plane's certificate .* expired"
        ):
            agent.release(signed)

        # The good one back in place: served again, on a new connection.
        files.cert.write_bytes(kept_cert)
        files.key.write_bytes(kept_key)
        assert len(list(agent.release(signed))) == 3
        connections = counter.accepted

        # ``comity pki issue control-plane --replace`` (a new file renamed over): used at once.
        comity.issue_certificate(None, days=30, replace=True, actor="test")
        assert files.cert.read_bytes() != kept_cert
        assert len(list(agent.release(signed))) == 3
        assert counter.accepted == connections + 1

        # Unchanged files: the connection is kept.
        assert len(list(agent.release(signed))) == 3
        assert counter.accepted == connections + 1


def test_an_agent_replaced_by_another_regions_on_the_same_port_is_refused(
    world: tuple[ProductionWorld, SignedAuthorization],
) -> None:
    pw, signed = world
    comity = pw.comity
    port = free_port()
    agent = HttpRegionAgent(
        "eu-ie", f"https://127.0.0.1:{port}", tls=comity.control_plane_tls("eu-ie")
    )
    with agent_process(comity.home, "eu-ie", port=port):
        assert len(list(agent.release(signed))) == 3  # a kept connection to the right agent

    # The eu-ie agent's host, now serving us-west's certificate on the same port.
    toml = comity.home / "comity.toml"
    base = toml.read_text()
    pki = comity.pki
    toml.write_text(
        base
        + '\n[agents.eu-ie]\nurl = "https://127.0.0.1:1"\n'
        + f'agent-cert = "{pki.cert("agent-us-west")}"\n'
        + f'agent-key = "{pki.key("agent-us-west")}"\n'
    )
    wrong = "presented a certificate naming region:us-west, not the agent of region eu-ie"
    with agent_process(comity.home, "eu-ie", port=port):
        toml.write_text(base)
        with pytest.raises(ConfigurationError, match=wrong):
            agent.status("auth-test")
        with pytest.raises(ConfigurationError, match=wrong):
            agent.release(signed)
        with pytest.raises(ConfigurationError, match=wrong):
            agent.submit(signed)


def test_the_composition_root_keeps_one_client_per_remote_region(
    world: tuple[ProductionWorld, SignedAuthorization],
) -> None:
    pw, _ = world
    toml = pw.comity.home / "comity.toml"
    toml.write_text(toml.read_text() + '\n[agents.eu-ie]\nurl = "https://127.0.0.1:1"\n')
    comity = open_deployment(pw.comity.home)
    agent = comity.region_agent("eu-ie")
    assert isinstance(agent, HttpRegionAgent)
    assert comity.region_agent("eu-ie") is agent
    assert comity.region_parts("eu-ie") is agent
