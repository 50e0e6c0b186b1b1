"""TLS contexts for mutual TLS between the control plane and the regional agents, and the one
sentence each handshake failure deserves.

Both sides verify the other's chain against the deployment CA only (never the system's trust
store), at TLS 1.2 or later. Host names are not what is checked: each side checks the Comity role
the peer's certificate names (``pki.role_of``), because an agent is "the agent of region eu-ie"
wherever it runs, and the CA issues nothing else. OpenSSL checks the extended key usage as part of
the chain (a server certificate cannot act as a client), and expiry.
"""

from __future__ import annotations

import ssl
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from comity.adapters.secret_files import read_secret
from comity.adapters.tls.layout import TlsFiles
from comity.adapters.tls.pki import role_of
from comity.errors import ConfigurationError


def _context(purpose: int, files: TlsFiles) -> ssl.SSLContext:
    missing = files.missing()
    if missing:
        raise ConfigurationError(
            "mutual TLS needs "
            + ", ".join(str(p) for p in missing)
            + "; create them with 'comity pki init' and 'comity pki issue'"
        )
    read_secret(files.key, "the TLS private key")  # refuses a key others can read
    context = ssl.SSLContext(purpose)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(files.cert, files.key)
        context.load_verify_locations(cafile=str(files.ca))
    except ssl.SSLError as exc:
        raise ConfigurationError(
            f"the TLS files {files.cert}, {files.key} and {files.ca} do not fit together: "
            f"{exc.reason or exc}"
        ) from None
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """An agent's context: a client certificate, if presented, must chain to the deployment CA
    and be current, or the handshake fails.

    Why optional and not required: a client with no certificate at all would otherwise see only
    a connection closed mid-handshake (TLS 1.3 sends the alert after the client's first flight).
    Letting it through to the app, which refuses every request whose connection carries no
    control-plane certificate (``agent.server``), gives it a 403 that says so in a sentence.
    """
    context = _context(ssl.PROTOCOL_TLS_SERVER, files)
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


def client_context(files: TlsFiles) -> ssl.SSLContext:
    """The control plane's context: it presents its certificate and verifies the agent's chain
    (the region it names is checked by the caller, per connection)."""
    context = _context(ssl.PROTOCOL_TLS_CLIENT, files)
    context.check_hostname = False
    return context


def own_certificate_problem(files: TlsFiles, now: datetime) -> str | None:
    """What is wrong with this side's own certificate, checked locally, or None.

    Why: when an agent refuses the control plane's certificate, TLS 1.3 (and asyncio servers)
    often show the client only a closed connection, not the alert. The control plane can still
    say precisely why by checking its own certificate against the CA and the time.
    """
    try:
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        ca = x509.load_pem_x509_certificate(files.ca.read_bytes())
    except (OSError, ValueError) as exc:
        return f"this control plane's certificate or CA cannot be read ({exc})"
    if cert.not_valid_after_utc <= now:
        return (
            f"this control plane's certificate {files.cert} expired at "
            f"{cert.not_valid_after_utc.isoformat()}; issue a new one with 'comity pki issue "
            "control-plane --replace'"
        )
    if cert.not_valid_before_utc > now:
        return f"this control plane's certificate {files.cert} is not valid yet"
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return (
            f"this control plane's certificate {files.cert} is not signed by the deployment "
            f"CA {files.ca}"
        )
    if role_of(cert) != "control-plane":
        return (
            f"this control plane's certificate {files.cert} names {role_of(cert)}, not the "
            "control plane"
        )
    return None


def peer_role(der: bytes | None) -> str | None:
    """The role the peer's certificate names (None if it sent none)."""
    if der is None:
        return None
    return role_of(x509.load_der_x509_certificate(der))


# What OpenSSL says, and what it means, from the control plane's side of the handshake.
_SERVER_REFUSED = (
    ("CERTIFICATE_REQUIRED", "the agent requires a client certificate and none was presented"),
    ("UNKNOWN_CA", "the agent does not trust the CA that signed this control plane's certificate"),
    ("CERTIFICATE_EXPIRED", "the agent refused this control plane's certificate: it has expired"),
    (
        "UNSUPPORTED_CERTIFICATE",
        "the agent refused this control plane's certificate: it is not a client certificate",
    ),
    ("BAD_CERTIFICATE", "the agent refused this control plane's certificate"),
)
_AGENT_CERT = (
    ("certificate has expired", "the agent's certificate has expired"),
    ("not yet valid", "the agent's certificate is not valid yet"),
    ("unable to get local issuer", "the agent's certificate is not signed by this deployment's CA"),
    ("self-signed", "the agent's certificate is not signed by this deployment's CA"),
    ("unsupported certificate purpose", "the agent's certificate is not a server certificate"),
)


def explain(exc: BaseException) -> str | None:
    """One sentence for a TLS failure found anywhere in ``exc``'s chain, else None."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            message = str(seen.verify_message or seen)
            for needle, sentence in _AGENT_CERT:
                if needle in message:
                    return sentence
            return f"the agent's certificate did not verify ({message})"
        text = str(seen)
        for needle, sentence in _SERVER_REFUSED:
            if needle in text:
                return sentence
        if isinstance(seen, ssl.SSLError):
            return f"the TLS handshake failed ({seen.reason or seen})"
        seen = seen.__cause__ or seen.__context__
    return None
