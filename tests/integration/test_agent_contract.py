"""The regional agent contract (issue 12 item 9): every implementation of ``RegionAgent`` passes
the same tests. The in-process agent, the HTTP agent (``comity agent`` in its own process, over
mutual TLS) and the in-memory fake that service tests use must release exactly the records a
genuine, current authorization grants in their region, and refuse a forged, unknown-key,
expired or other region's authorization, or one the law no longer supports, with the same error
and before the first record."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.agent_support import agent_process, issue_authorization, make_pki
from tests.conftest import FixedClock
from tests.fake_agent import InMemoryRegionAgent
from tests.production_support import ProductionWorld, approve, build, submit

from comity.adapters.agent.client import HttpRegionAgent
from comity.adapters.signing.authorizations import sign_authorization, verify_authorization
from comity.adapters.signing.ed25519 import SigningKey
from comity.domain.accounts import AccountKind
from comity.domain.authorization import Authorization, SignedAuthorization
from comity.errors import ComityError, Forbidden, IntegrityError
from comity.law.countries import known_countries
from comity.services.productions.agent import EngineRecheck
from comity.services.productions.ports import RegionAgent

REGION = "eu-ie"
#: What the world's approved case grants in eu-ie: acct-0001's content in the demand's period
#: (message 99 is after it; acct-0002 is not a target).
GRANTED = ["msg-acct-0001-0", "msg-acct-0001-1", "msg-acct-0001-2"]


def _fake(pw: ProductionWorld) -> RegionAgent:
    comity = pw.comity
    vault = comity.region_store(REGION)
    records = [r for account in ("acct-0001", "acct-0002") for r in vault.read(account)]
    keys = comity.trusted_control_plane_keys()

    def verify(signed: SignedAuthorization, now: datetime, region: str) -> Authorization:
        return verify_authorization(signed, keys, now=now, region=region)

    law = EngineRecheck(comity.law_engine, comity.deployment, comity.reader, known_countries())
    return InMemoryRegionAgent(REGION, records, verify, law, pw.clock)


def _http(pw: ProductionWorld, stack: ExitStack) -> RegionAgent:
    make_pki(pw.comity, REGION)
    url = stack.enter_context(agent_process(pw.comity.home, REGION))
    return HttpRegionAgent(REGION, url, tls=pw.comity.control_plane_tls(REGION))


AGENTS: dict[str, Callable[[ProductionWorld, ExitStack], RegionAgent]] = {
    "local": lambda pw, _stack: pw.comity.local_agent(REGION),
    "http-mtls": _http,
    "in-memory": lambda pw, _stack: _fake(pw),
}


@pytest.fixture(params=sorted(AGENTS))
def contract(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[RegionAgent, ProductionWorld, SignedAuthorization]]:
    # The agent process reads the real clock; the world's clock says the same time.
    pw = build(tmp_path / "dep", FixedClock(datetime.now(UTC).replace(microsecond=0)))
    demand_id = submit(pw)
    approve(pw, demand_id)
    signed = issue_authorization(pw, demand_id)
    with ExitStack() as stack:
        yield AGENTS[request.param](pw, stack), pw, signed


def _refused(agent: RegionAgent, signed: SignedAuthorization) -> ComityError:
    """The error ``release`` raised; it must raise before returning any iterator."""
    with pytest.raises(ComityError) as caught:
        agent.release(signed)
    return caught.value


def test_it_releases_exactly_the_granted_records_in_order(
    contract: tuple[RegionAgent, ProductionWorld, SignedAuthorization],
) -> None:
    agent, pw, signed = contract
    assert agent.region_id == REGION
    released = list(agent.release(signed))
    assert [r.id for r in released] == GRANTED
    stored = {r.id: r for r in pw.comity.region_store(REGION).read("acct-0001")}
    assert released == [stored[i] for i in GRANTED]  # bodies and fields, unchanged
    assert [r.id for r in agent.release(signed)] == GRANTED  # and again: nothing is consumed


def test_it_refuses_forged_unknown_key_other_region_and_expired_authorizations(
    contract: tuple[RegionAgent, ProductionWorld, SignedAuthorization],
) -> None:
    agent, pw, signed = contract
    auth = signed.authorization
    key = pw.comity.control_plane_key
    wider = dataclasses.replace(
        auth,
        grants=tuple(
            dataclasses.replace(g, accounts=("acct-0001", "acct-0002")) for g in auth.grants
        ),
    )
    cases: list[tuple[SignedAuthorization, type[ComityError], str]] = [
        (
            SignedAuthorization(wider, signed.key_id, signed.signature),
            IntegrityError,
            "signature does not verify",
        ),
        (sign_authorization(auth, SigningKey.generate()), IntegrityError, "not among the given"),
        (
            sign_authorization(dataclasses.replace(auth, grants=auth.grants_for("us-west")), key),
            IntegrityError,
            "does not cover region eu-ie",
        ),
        (
            sign_authorization(
                dataclasses.replace(
                    auth,
                    issued_at=auth.issued_at - timedelta(days=3),
                    expires_at=auth.issued_at - timedelta(days=2),
                ),
                key,
            ),
            IntegrityError,
            "expired at",
        ),
    ]
    for bad, kind, message in cases:
        error = _refused(agent, bad)
        assert type(error) is kind, error
        assert message in error.message


def test_it_refuses_when_the_law_no_longer_supports_the_approval(
    contract: tuple[RegionAgent, ProductionWorld, SignedAuthorization],
) -> None:
    agent, pw, signed = contract
    with pw.comity.uow() as uow:
        account = uow.accounts.get("acct-0001")
        assert account is not None
        uow.accounts.update(dataclasses.replace(account, kind=AccountKind.ENTERPRISE))
        uow.commit()
    error = _refused(agent, signed)
    assert type(error) is Forbidden
    assert "acct-0001 content in eu-ie: disclose at approval, redirect_entity now" in error.message
