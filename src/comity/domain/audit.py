"""Audit events: what is written to the tamper-evident log for every state change.

An event is small and canonical: the payload itself stays where it belongs (control plane or
region); the log holds its SHA-256 digest, so the log proves what happened without copying
customer data into it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON (sorted keys, no spaces, UTF-8) so equal events hash equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value`` (or of raw bytes)."""
    data = value if isinstance(value, bytes) else canonical_json(value)
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class AuditEvent:
    """One entry of the audit log.

    ``action`` is a tag such as ``account:created`` or ``demand:assessment:created``;
    ``subject`` names what changed (``account/acct-0001``).
    """

    time: datetime
    actor: str
    action: str
    subject: str
    payload_digest: str

    @staticmethod
    def of(time: datetime, actor: str, action: str, subject: str, payload: Any) -> AuditEvent:
        return AuditEvent(time, actor, action, subject, digest(payload))

    def to_document(self) -> dict[str, str]:
        if self.time.tzinfo is None:
            raise ValueError("audit event times must be timezone-aware")
        return {
            "time": self.time.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "digest": self.payload_digest,
        }

    def canonical(self) -> bytes:
        """The bytes that become the Merkle leaf (RFC 9162 section 2.1.1 hashes them).

        Exactly ``canonical_json(self.to_document())``, written out field by field (keys in sorted
        order, each string encoded as ``json.dumps`` does with ``ensure_ascii=False``) because
        the log hashes one per append and the generic encoder is five times slower.
        """
        doc = self.to_document()
        return (
            f'{{"action":{encode_basestring(doc["action"])},'
            f'"actor":{encode_basestring(doc["actor"])},'
            f'"digest":{encode_basestring(doc["digest"])},'
            f'"subject":{encode_basestring(doc["subject"])},'
            f'"time":{encode_basestring(doc["time"])}}}'
        ).encode()
