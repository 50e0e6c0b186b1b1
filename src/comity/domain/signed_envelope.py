"""The wire form of what the control plane signs for a region's agent: an authorization to
release (``authorization``) or a hold instruction (``hold_instruction``).

Both are one canonical JSON object, the signed document under its own field and the Ed25519
signature beside it (``{"algorithm", "key_id", "value"}``, the value in base64), and a final
newline. The field name says what the document is, and each document also carries its own
``format``, which is inside the signed bytes: a signature over one kind can never pass as the
other. One reader for both, so both refuse a malformed envelope with the same sentences.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from comity.domain.audit import canonical_json
from comity.errors import IntegrityError

SIGNATURE_ALGORITHM = "Ed25519"


def seal(field: str, document: dict[str, Any], key_id: str, signature: bytes) -> dict[str, Any]:
    """The envelope of a signed ``document``, as a JSON object."""
    return {
        field: document,
        "signature": {
            "algorithm": SIGNATURE_ALGORITHM,
            "key_id": key_id,
            "value": base64.b64encode(signature).decode(),
        },
    }


def to_bytes(envelope: dict[str, Any]) -> bytes:
    """The file and wire form: canonical JSON and a final newline."""
    return canonical_json(envelope) + b"\n"


def open_envelope(data: bytes, field: str, what: str) -> tuple[Any, str, bytes]:
    """The signed document (still to be parsed), the key id and the signature value of an
    envelope; ``IntegrityError`` with one sentence naming ``what`` when it is not one."""
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        raise IntegrityError(f"the signed {what} is not valid JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("signature"), dict):
        raise IntegrityError(f"the signed {what} has no signature object")
    sig = doc["signature"]
    if sig.get("algorithm") != SIGNATURE_ALGORITHM:
        raise IntegrityError(
            f"the {what} is signed with {sig.get('algorithm')!r}, expected {SIGNATURE_ALGORITHM}"
        )
    try:
        value = base64.b64decode(str(sig.get("value")), validate=True)
    except (binascii.Error, ValueError):
        raise IntegrityError(f"the {what}'s signature is not valid base64") from None
    return doc.get(field), str(sig.get("key_id")), value
