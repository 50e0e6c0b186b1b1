"""The regional agent, in-process and as its own HTTP process: it releases exactly what a genuine,
current authorization for its region covers, and only while the law still says so."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from tests.agent_support import agent_process, make_pki
from tests.conftest import FixedClock
from tests.intake_support import free_port
from tests.production_support import ProductionWorld, approve, build, submit

from comity.adapters.agent.client import HttpRegionAgent
from comity.adapters.package.verify import verify_package
from comity.adapters.signing.authorizations import sign_authorization
from comity.adapters.signing.ed25519 import SigningKey
from comity.adapters.tls.contexts import client_context
from comity.bootstrap import open_deployment
from comity.domain.accounts import AccountKind
from comity.domain.authorization import SignedAuthorization
from comity.domain.productions import authorize_case
from comity.domain.records import Record
from comity.errors import ConfigurationError, Forbidden, IntegrityError
from comity.services.productions.ports import RegionAgent


def _issue(pw: ProductionWorld, demand_id: str) -> SignedAuthorization:
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


def _ids(agent: RegionAgent, signed: SignedAuthorization) -> list[str]:
    return [r.id for r in agent.release(signed)]


@pytest.fixture
def approved(tmp_path: Path) -> tuple[ProductionWorld, SignedAuthorization]:
    pw = build(tmp_path / "dep", FixedClock(datetime.now(UTC).replace(microsecond=0)))
    demand_id = submit(pw)
    approve(pw, demand_id)
    return pw, _issue(pw, demand_id)


def test_the_local_agent_releases_exactly_the_granted_records(
    approved: tuple[ProductionWorld, SignedAuthorization],
) -> None:
    pw, signed = approved
    assert _ids(pw.comity.local_agent("eu-ie"), signed) == [
        "msg-acct-0001-0",
        "msg-acct-0001-1",
        "msg-acct-0001-2",
    ]
    assert sorted(_ids(pw.comity.local_agent("us-west"), signed)) == ["login-1", "sub-1"]


def _refusals(agent: RegionAgent, pw: ProductionWorld, signed: SignedAuthorization) -> None:
    """A forged, an expired and another region's authorization are all refused."""
    auth = signed.authorization
    wider = dataclasses.replace(
        auth,
        grants=tuple(
            dataclasses.replace(g, accounts=("acct-0001", "acct-0002")) for g in auth.grants
        ),
    )
    forged = SignedAuthorization(wider, signed.key_id, signed.signature)
    with pytest.raises(IntegrityError, match="signature does not verify"):
        agent.release(forged)
    other_key = sign_authorization(auth, SigningKey.generate())
    with pytest.raises(IntegrityError, match="not among the given keys"):
        agent.release(other_key)
    us_only = dataclasses.replace(auth, grants=auth.grants_for("us-west"))
    with pytest.raises(IntegrityError, match="does not cover region eu-ie"):
        agent.release(sign_authorization(us_only, pw.comity.control_plane_key))
    stale = dataclasses.replace(
        auth,
        issued_at=auth.issued_at - timedelta(days=3),
        expires_at=auth.issued_at - timedelta(days=2),
    )
    with pytest.raises(IntegrityError, match="expired at"):
        agent.release(sign_authorization(stale, pw.comity.control_plane_key))


def _make_enterprise(pw: ProductionWorld) -> None:
    with pw.comity.uow() as uow:
        account = uow.accounts.get("acct-0001")
        assert account is not None
        uow.accounts.update(dataclasses.replace(account, kind=AccountKind.ENTERPRISE))
        uow.commit()


def test_the_local_agent_refuses_forged_expired_and_other_region_authorizations(
    approved: tuple[ProductionWorld, SignedAuthorization],
) -> None:
    pw, signed = approved
    _refusals(pw.comity.local_agent("eu-ie"), pw, signed)


def test_the_agent_refuses_when_the_law_engines_answer_changed(
    approved: tuple[ProductionWorld, SignedAuthorization],
) -> None:
    pw, signed = approved
    _make_enterprise(pw)  # enterprise customers' data: serve the customer (redirect_entity)
    with pytest.raises(Forbidden) as caught:
        pw.comity.local_agent("eu-ie").release(signed)
    assert "acct-0001 content in eu-ie: disclose at approval, redirect_entity now" in str(
        caught.value.message
    )


def test_the_agent_refuses_when_the_data_moved_or_the_demand_is_blocked(
    approved: tuple[ProductionWorld, SignedAuthorization],
) -> None:
    pw, signed = approved
    with pw.comity.uow() as uow:
        account = uow.accounts.get("acct-0001")
        assert account is not None
        uow.accounts.update(dataclasses.replace(account, home_region="us-west"))
        uow.commit()
    with pytest.raises(Forbidden, match="acct-0001 content in eu-ie: no finding now"):
        pw.comity.local_agent("eu-ie").release(signed)
    jsmith = pw.world.tokens["jsmith"]
    from comity.services import identity  # noqa: PLC0415
    from comity.services.intake import demands  # noqa: PLC0415

    demands.withdraw_demand(
        pw.comity.intake_uow,
        pw.clock,
        identity.authenticate(pw.comity.intake_uow, jsmith),
        signed.authorization.demand_id,
        reason="no longer needed",
    )
    with pytest.raises(Forbidden, match="withdrew"):
        pw.comity.local_agent("us-west").release(signed)


@pytest.fixture
def remote(approved: tuple[ProductionWorld, SignedAuthorization]) -> Iterator[str]:
    """``comity agent --region eu-ie`` in its own process on a free port, over mutual TLS with
    the certificates ``comity pki`` made."""
    pw, _ = approved
    make_pki(pw.comity, "eu-ie")
    with agent_process(pw.comity.home, "eu-ie") as url:
        context = client_context(pw.comity.control_plane_tls("eu-ie"))
        health = httpx.get(f"{url}/health", verify=context, timeout=10).json()
        assert health["region"] == "eu-ie"
        assert health["control_plane_key"] == pw.comity.control_plane_key.key_id
        yield url


def test_the_http_agent_in_its_own_process_releases_and_refuses_like_the_local_one(
    approved: tuple[ProductionWorld, SignedAuthorization], remote: str
) -> None:
    pw, signed = approved
    agent = HttpRegionAgent("eu-ie", remote, tls=pw.comity.control_plane_tls("eu-ie"))
    local: list[Record] = list(pw.comity.local_agent("eu-ie").release(signed))
    assert list(agent.release(signed)) == local
    _refusals(agent, pw, signed)
    _make_enterprise(pw)
    with pytest.raises(Forbidden, match="disclose at approval, redirect_entity now"):
        agent.release(signed)


def test_produce_reads_a_region_through_its_remote_agent_when_configured(
    approved: tuple[ProductionWorld, SignedAuthorization], remote: str
) -> None:
    pw, signed = approved
    toml = pw.comity.home / "comity.toml"
    toml.write_text(toml.read_text() + f'\n[agents.eu-ie]\nurl = "{remote}"\n')
    comity = open_deployment(pw.comity.home, pw.clock)
    assert isinstance(comity.region_agent("eu-ie"), HttpRegionAgent)
    production = comity.productions.produce(pw.admin, signed.authorization.demand_id)
    assert verify_package(Path(production.path)).record_count == 5


def test_an_unreachable_agent_and_bad_agent_settings_are_named(tmp_path: Path) -> None:
    port = free_port()
    agent = HttpRegionAgent("eu-ie", f"http://127.0.0.1:{port}")
    pw = build(tmp_path / "dep")
    demand_id = submit(pw)
    approve(pw, demand_id)
    with pytest.raises(ConfigurationError, match="cannot be reached"):
        agent.release(_issue(pw, demand_id))
    toml = pw.comity.home / "comity.toml"
    base = toml.read_text()
    for bad, message in (
        ('[agents.eu-de]\nurl = "http://x:1"\n', "'eu-de' is not a region"),
        ('[agents.eu-ie]\nurl = "ftp://x"\n', "must be an http:// or https:// URL"),
        ('[agents.eu-ie]\nurl = "http://x:99999"\n', "port that is not a number"),
        ('[agents.eu-ie]\naddress = "http://x"\n', "must be a table with url"),
    ):
        toml.write_text(base + "\n" + bad)
        with pytest.raises(ConfigurationError, match=message):
            open_deployment(pw.comity.home)
