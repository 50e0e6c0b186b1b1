"""The deployment's private certificate authority: ``comity pki init`` and ``comity pki issue``.

Why a private CA and not the web's: only the control plane and the regional agents ever talk to
each other, and what each must prove is not a host name but a role: "I am the control plane" or
"I am the agent of region eu-ie". Each certificate carries that role as a SAN URI
(``urn:comity:control-plane``, ``urn:comity:region:<id>``) and an extended key usage that fits it
(client for the control plane, server for an agent), so a stolen agent certificate cannot act as
the control plane and an agent of one region cannot answer for another.

Keys are ECDSA P-256 (every TLS stack speaks it); private keys are written owner-only (0600)
through ``secret_files`` and never overwritten in place: a rotation writes the new pair beside the
old one and renames it over, so a crash leaves one whole pair.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from comity.adapters.secret_files import read_secret, write_secret
from comity.adapters.tls.layout import (
    CONTROL_PLANE_NAME,
    CONTROL_PLANE_URI,
    REGION_URI_PREFIX,
    PkiLayout,
    agent_name,
    region_uri,
)
from comity.domain.deployment import REGION_ID
from comity.errors import ConfigurationError, Conflict, InvalidInput

CA_DAYS = 3650
DEFAULT_DAYS = 90


@dataclass(frozen=True)
class CertificateInfo:
    """What ``comity regions list`` and ``comity pki list`` print about one certificate."""

    path: Path
    role: str  # "control-plane", "region:<id>" or "unknown"
    not_after: datetime
    serial: str
    fingerprint: str

    def facts(self) -> dict[str, object]:
        """What the audit log and the CLI say about it (never key material)."""
        return {
            "certificate": str(self.path),
            "role": self.role,
            "not_after": self.not_after.isoformat(),
            "serial": self.serial,
            "sha256": self.fingerprint,
        }


def _write_pem(path: Path, data: bytes, *, secret: bool, replace: bool) -> None:
    """Write ``path`` (0600 if ``secret``); with ``replace``, beside it first, then rename over."""
    if path.exists() and not replace:
        raise Conflict(f"{path} exists already; give --replace to rotate it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    if secret:
        write_secret(tmp, data)
    else:
        tmp.write_bytes(data)
        tmp.chmod(0o644)
    os.replace(tmp, path)


def init_ca(layout: PkiLayout, now: datetime, *, name: str) -> CertificateInfo:
    """Create the deployment's CA (refused if one exists: re-creating it would orphan every
    certificate it issued)."""
    if layout.ca_key.exists() or layout.ca_cert.exists():
        raise Conflict(
            f"the deployment already has a CA ({layout.ca_cert}); certificates are rotated with "
            "'comity pki issue ... --replace', the CA is kept"
        )
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Comity CA ({name})"[:64])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_pem(layout.ca_key, _private_pem(key), secret=True, replace=False)
    _write_pem(
        layout.ca_cert, cert.public_bytes(serialization.Encoding.PEM), secret=False, replace=False
    )
    return describe(layout.ca_cert)


def issue(
    layout: PkiLayout,
    now: datetime,
    *,
    region_id: str | None,
    days: int = DEFAULT_DAYS,
    hosts: tuple[str, ...] = (),
    replace: bool = False,
) -> CertificateInfo:
    """Issue the certificate of a region's agent (``region_id``) or, with None, of the control
    plane; signed by the deployment CA, valid ``days`` from ``now``."""
    if region_id is not None and not REGION_ID.match(region_id):
        raise InvalidInput(f"region {region_id!r}: a region id is lower-case letters, digits, '-'")
    if not 1 <= days <= CA_DAYS:
        raise InvalidInput(f"--days must be between 1 and {CA_DAYS}, not {days}")
    ca_key, ca_cert = _load_ca(layout)
    if region_id is None:
        name, uri, usage = CONTROL_PLANE_NAME, CONTROL_PLANE_URI, ExtendedKeyUsageOID.CLIENT_AUTH
        common = "Comity control plane"
    else:
        name, uri = agent_name(region_id), region_uri(region_id)
        usage, common = ExtendedKeyUsageOID.SERVER_AUTH, f"Comity agent {region_id}"
    names: list[x509.GeneralName] = [x509.UniformResourceIdentifier(uri)]
    for host in hosts:
        try:
            names.append(x509.IPAddress(ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = min(now + timedelta(days=days), ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_pem(layout.key(name), _private_pem(key), secret=True, replace=replace)
    _write_pem(
        layout.cert(name),
        cert.public_bytes(serialization.Encoding.PEM),
        secret=False,
        replace=replace,
    )
    return describe(layout.cert(name))


def _private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_ca(layout: PkiLayout) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    if not layout.ca_cert.exists():
        raise ConfigurationError(
            f"the deployment has no CA at {layout.ca_cert}; run 'comity pki init' first"
        )
    key = serialization.load_pem_private_key(
        read_secret(layout.ca_key, "the deployment CA's key"), password=None
    )
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ConfigurationError(f"{layout.ca_key} is not an ECDSA key")
    return key, x509.load_pem_x509_certificate(layout.ca_cert.read_bytes())


def role_of(cert: x509.Certificate) -> str:
    """``ca``, ``control-plane``, ``region:<id>`` or ``unknown``: the Comity role a certificate
    names (by its SAN URI; a CA by its basic constraints)."""
    extensions = cert.extensions
    try:
        if extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return "ca"
        san = extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return "unknown"
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    if CONTROL_PLANE_URI in uris:
        return "control-plane"
    for uri in uris:
        if uri.startswith(REGION_URI_PREFIX):
            return "region:" + uri[len(REGION_URI_PREFIX) :]
    return "unknown"


def describe(path: Path) -> CertificateInfo:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except FileNotFoundError:
        raise ConfigurationError(f"no certificate at {path}") from None
    except ValueError:
        raise ConfigurationError(f"{path} is not a PEM certificate") from None
    return CertificateInfo(
        path,
        role_of(cert),
        cert.not_valid_after_utc,
        format(cert.serial_number, "x"),
        cert.fingerprint(hashes.SHA256()).hex(),
    )
