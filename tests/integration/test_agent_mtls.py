"""Mutual TLS between the control plane and a regional agent (issue 19 item 1), on loopback with
real processes and the certificates ``comity pki`` makes: the agent serves only the control plane,
the control plane talks only to the agent of the region it calls, expired certificates and
certificates of another CA are refused, and each refusal is one sentence and releases nothing."""

from __future__ import annotations

import json
import ssl
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from tests.agent_support import agent_process, expired_copy, issue_authorization, make_pki
from tests.conftest import CliRunner, FixedClock
from tests.production_support import ProductionWorld, approve, build, submit

from comity.adapters.agent.client import HttpRegionAgent
from comity.adapters.tls.layout import PkiLayout, TlsFiles
from comity.bootstrap import initialise, open_deployment
from comity.domain.authorization import SignedAuthorization
from comity.errors import ConfigurationError, Conflict

AGENT_TOML = '\n[agents.eu-ie]\nurl = "{url}"\n'


@pytest.fixture
def world(tmp_path: Path) -> tuple[ProductionWorld, SignedAuthorization]:
    pw = build(tmp_path / "dep", FixedClock(datetime.now(UTC).replace(microsecond=0)))
    demand_id = submit(pw)
    approve(pw, demand_id)
    make_pki(pw.comity, "eu-ie", "us-west")
    return pw, issue_authorization(pw, demand_id)


def _client_certificate_naming(pki: PkiLayout, uri: str, directory: Path) -> TlsFiles:
    """A client certificate from the deployment CA that names ``uri`` (which ``comity pki``
    never issues: a region's certificate is a server certificate), to test the agent's own
    check of the role behind the handshake's."""
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "impostor")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri)]), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir()
    files = TlsFiles(pki.ca_cert, directory / "client.pem", directory / "client.key")
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    files.key.chmod(0o600)
    return files


def test_pki_makes_an_owner_only_ca_and_certificates_bound_to_their_role(
    tmp_path: Path, cli: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    initialise(tmp_path, demo=False)
    assert cli(tmp_path, "pki", "issue", "agent", "us-west").stderr.startswith(
        "error: the deployment has no CA"
    )
    made = cli(tmp_path, "pki", "init")
    assert made.returncode == 0, made.stderr
    assert cli(tmp_path, "pki", "issue", "agent", "us-west", "--days", "30").returncode == 0
    assert cli(tmp_path, "pki", "issue", "control-plane").returncode == 0
    pki = open_deployment(tmp_path).pki
    for key in (pki.ca_key, pki.key("agent-us-west"), pki.key("control-plane")):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(pki.ca_key.parent.stat().st_mode) == 0o700

    agent = x509.load_pem_x509_certificate(pki.cert("agent-us-west").read_bytes())
    san = agent.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == ["urn:comity:region:us-west"]
    usage = agent.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    lifetime = agent.not_valid_after_utc - agent.not_valid_before_utc
    assert timedelta(days=29) < lifetime < timedelta(days=31)
    control = x509.load_pem_x509_certificate(pki.cert("control-plane").read_bytes())
    usage = control.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]

    # The CA is made once; a certificate is rotated only when asked.
    again = cli(tmp_path, "pki", "init")
    assert again.returncode != 0
    assert "already has a CA" in again.stderr
    before = pki.cert("agent-us-west").read_bytes()
    kept = cli(tmp_path, "pki", "issue", "agent", "us-west")
    assert kept.returncode != 0
    assert "give --replace to rotate it" in kept.stderr
    assert pki.cert("agent-us-west").read_bytes() == before
    assert cli(tmp_path, "pki", "issue", "agent", "us-west", "--replace").returncode == 0
    assert pki.cert("agent-us-west").read_bytes() != before
    unknown = cli(tmp_path, "pki", "issue", "agent", "eu-xx")
    assert unknown.returncode != 0
    assert "no region 'eu-xx'" in unknown.stderr

    with open_deployment(tmp_path).reader() as uow:
        actions = [json.loads(uow.audit.entry(i).entry) for i in range(uow.audit.size())]
    issued = [a for a in actions if a["action"].startswith("pki:")]
    assert [a["action"] for a in issued] == ["pki:ca:created"] + ["pki:certificate:issued"] * 3
    assert issued[1]["subject"] == "pki/agent-us-west"

    monkeypatch.setenv("COLUMNS", "250")
    listed = cli(tmp_path, "regions", "list")
    assert "region:us-west" in listed.stdout
    assert "file" in listed.stdout


@pytest.fixture
def tls_agent(world: tuple[ProductionWorld, SignedAuthorization]) -> Iterator[str]:
    """The eu-ie agent over mutual TLS, as ``comity agent`` serves it by default."""
    pw, _ = world
    with agent_process(pw.comity.home, "eu-ie") as url:
        yield url


def test_the_agent_releases_over_mutual_tls_only_to_the_control_plane(
    world: tuple[ProductionWorld, SignedAuthorization], tls_agent: str, tmp_path: Path
) -> None:
    pw, signed = world
    comity = pw.comity
    control_plane = comity.control_plane_tls("eu-ie")
    agent = HttpRegionAgent("eu-ie", tls_agent, tls=control_plane)
    assert list(agent.release(signed)) == list(comity.local_agent("eu-ie").release(signed))

    # No client certificate: the agent answers 403 with a sentence, and nothing else.
    bare = ssl.create_default_context(cafile=str(comity.pki.ca_cert))
    bare.check_hostname = False
    refused = httpx.post(f"{tls_agent}/release", content=signed.to_bytes(), verify=bare)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["error"]["message"] == (
        "the agent of region eu-ie serves only the control plane; the client presented no "
        "certificate, so nothing is released"
    )

    # A control-plane certificate from another deployment's CA.
    other_home = tmp_path / "other"
    initialise(other_home, demo=False)
    other = open_deployment(other_home)
    other.create_ca(actor="test")
    other.issue_certificate(None, days=30, actor="test")
    foreign = TlsFiles(
        comity.pki.ca_cert, other.pki.cert("control-plane"), other.pki.key("control-plane")
    )
    with pytest.raises(ConfigurationError, match="is not signed by the deployment CA"):
        HttpRegionAgent("eu-ie", tls_agent, tls=foreign).release(signed)
    # ... and as any client would see it: the connection is closed, nothing is answered.
    foreign_context = ssl.create_default_context(cafile=str(comity.pki.ca_cert))
    foreign_context.check_hostname = False
    foreign_context.load_cert_chain(foreign.cert, foreign.key)
    with pytest.raises(httpx.HTTPError):
        httpx.post(f"{tls_agent}/release", content=signed.to_bytes(), verify=foreign_context)

    # The control plane's certificate, expired.
    expired = expired_copy(comity.pki, tmp_path / "expired", None)
    with pytest.raises(ConfigurationError, match=r"this control plane's certificate .* expired at"):
        HttpRegionAgent("eu-ie", tls_agent, tls=expired).release(signed)

    # Another agent's certificate (same CA) presented as a client: not the control plane.
    us_west = TlsFiles(
        comity.pki.ca_cert, comity.pki.cert("agent-us-west"), comity.pki.key("agent-us-west")
    )
    with pytest.raises(ConfigurationError, match="names region:us-west, not the control plane"):
        HttpRegionAgent("eu-ie", tls_agent, tls=us_west).release(signed)

    # A client certificate from the CA naming a region: the agent's app refuses the role.
    impostor = _client_certificate_naming(
        comity.pki, "urn:comity:region:us-west", tmp_path / "impostor"
    )
    context = ssl.create_default_context(cafile=str(impostor.ca))
    context.check_hostname = False
    context.load_cert_chain(impostor.cert, impostor.key)
    refused = httpx.post(f"{tls_agent}/release", content=signed.to_bytes(), verify=context)
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == (
        "the agent of region eu-ie serves only the control plane; the client presented a "
        "certificate naming region:us-west, so nothing is released"
    )

    # The control plane trusting another CA: the agent's certificate is refused.
    wrong_trust = TlsFiles(other.pki.ca_cert, control_plane.cert, control_plane.key)
    with pytest.raises(ConfigurationError, match="not signed by this deployment's CA"):
        HttpRegionAgent("eu-ie", tls_agent, tls=wrong_trust).release(signed)

    # After every refusal the agent still serves the control plane.
    assert len(list(agent.release(signed))) == 3


def _agent_toml(pw: ProductionWorld, body: str) -> str:
    toml = pw.comity.home / "comity.toml"
    base = toml.read_text()
    toml.write_text(base + body)
    return base


def test_the_control_plane_refuses_an_agent_naming_another_region_or_expired(
    world: tuple[ProductionWorld, SignedAuthorization], tmp_path: Path
) -> None:
    pw, signed = world
    pki = pw.comity.pki
    control_plane = pw.comity.control_plane_tls("eu-ie")
    # The eu-ie agent's host, serving us-west's certificate.
    base = _agent_toml(
        pw,
        AGENT_TOML.format(url="https://127.0.0.1:1")
        + f'agent-cert = "{pki.cert("agent-us-west")}"\n'
        + f'agent-key = "{pki.key("agent-us-west")}"\n',
    )
    with agent_process(pw.comity.home, "eu-ie") as url:
        (pw.comity.home / "comity.toml").write_text(base)
        with pytest.raises(
            ConfigurationError,
            match="presented a certificate naming region:us-west, not the agent of region eu-ie",
        ):
            HttpRegionAgent("eu-ie", url, tls=control_plane).release(signed)

    expired = expired_copy(pki, tmp_path / "expired", "eu-ie")
    _agent_toml(
        pw,
        AGENT_TOML.format(url="https://127.0.0.1:1")
        + f'agent-cert = "{expired.cert}"\nagent-key = "{expired.key}"\n',
    )
    with agent_process(pw.comity.home, "eu-ie") as url:
        (pw.comity.home / "comity.toml").write_text(base)
        with pytest.raises(ConfigurationError, match="the agent's certificate has expired"):
            HttpRegionAgent("eu-ie", url, tls=control_plane).release(signed)


def test_an_agent_with_a_certificate_of_another_ca_is_refused(
    world: tuple[ProductionWorld, SignedAuthorization], tmp_path: Path
) -> None:
    """trustme stands in for any CA that is not the deployment's."""
    pw, signed = world
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1")
    cert, key = tmp_path / "foreign.pem", tmp_path / "foreign.key"
    server.cert_chain_pems[0].write_to_path(str(cert))
    server.private_key_pem.write_to_path(str(key))
    key.chmod(0o600)
    base = _agent_toml(
        pw,
        AGENT_TOML.format(url="https://127.0.0.1:1")
        + f'agent-cert = "{cert}"\nagent-key = "{key}"\n',
    )
    with agent_process(pw.comity.home, "eu-ie") as url:
        (pw.comity.home / "comity.toml").write_text(base)
        with pytest.raises(ConfigurationError, match="not signed by this deployment's CA"):
            HttpRegionAgent("eu-ie", url, tls=pw.comity.control_plane_tls("eu-ie")).release(signed)


def test_the_agent_will_not_start_without_its_certificate_nor_serve_plain_http_off_loopback(
    tmp_path: Path, cli: CliRunner
) -> None:
    initialise(tmp_path, demo=False)
    missing = cli(tmp_path, "agent", "--region", "us-west")
    assert missing.returncode != 0
    assert "comity pki issue agent us-west" in missing.stderr
    open_deployment(tmp_path).create_ca(actor="test")
    plain = cli(tmp_path, "agent", "--region", "us-west", "--insecure-http", "--host", "0.0.0.0")
    assert plain.returncode != 0
    assert "plain HTTP is allowed on a loopback address only" in plain.stderr


def test_an_https_agent_without_control_plane_files_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    initialise(tmp_path, demo=False)
    comity = open_deployment(tmp_path)
    with pytest.raises(ConfigurationError, match="comity pki init"):
        HttpRegionAgent("us-west", "https://127.0.0.1:1", tls=comity.control_plane_tls("us-west"))
    comity.create_ca(actor="test")
    with pytest.raises(Conflict, match="already has a CA"):
        comity.create_ca(actor="test")
