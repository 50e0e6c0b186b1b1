"""The signature scheme for signed demands: what exactly an authority signs.

An authority signs, with an Ed25519 key (RFC 8032) that staff registered for it, the bytes

    b"comity-demand-v1\\n" + <the exact demand JSON bytes sent> [+ b"\\n" + <file SHA-256 hex>]

and sends the detached signature in the ``Comity-Signature`` header as
``keyid="<key id>", sig="<base64 signature>"``. Signing the exact bytes (not a re-serialisation)
means nothing can be changed in transit; including the legal-process file's SHA-256 binds the
file to the document. This follows the detached-JSON-signature practice of ETSI TS 103 120.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADER = "Comity-Signature"
_PREFIX = b"comity-demand-v1\n"
_PARAM = re.compile(r'\s*([a-z]+)\s*=\s*"([^"]*)"\s*(?:,|$)')


@dataclass(frozen=True)
class SignatureHeader:
    key_id: str
    signature_b64: str


def signed_message(demand_bytes: bytes, file_sha256_hex: str | None) -> bytes:
    message = _PREFIX + demand_bytes
    if file_sha256_hex is not None:
        message += b"\n" + file_sha256_hex.encode("ascii")
    return message


def parse_signature_header(value: str) -> tuple[SignatureHeader | None, str | None]:
    """The header's key id and signature, or why the header is malformed."""
    params: dict[str, str] = {}
    pos = 0
    while pos < len(value):
        match = _PARAM.match(value, pos)
        if match is None:
            break
        params[match.group(1)] = match.group(2)
        pos = match.end()
    if pos < len(value) or "keyid" not in params or "sig" not in params:
        return None, (
            f'{HEADER} header: expected keyid="<key id>", sig="<base64 Ed25519 signature>", '
            f"got {value[:80]!r}"
        )
    return SignatureHeader(params["keyid"], params["sig"]), None
