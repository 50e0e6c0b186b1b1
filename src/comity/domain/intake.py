"""A demand as Comity holds it: the document, who filed it, how it was verified, what blocks it.

Nothing reaches disclosure while ``blocking_reasons`` is non-empty: an unverified requester, a
fraud sign not yet cleared by staff, or an emergency request whose call-back to the registry's
contact has not been recorded (practice.md, "Fraudulent emergency requests"; Apple's call-back of
the supervisor). The workflow reads ``disclosure_blocked_reason`` at production time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from comity.domain.fraud import FraudSign


class DemandStatus(StrEnum):
    RECEIVED = "received"
    WITHDRAWN = "withdrawn"
    #: A call-back reached the registry contact, who denied sending the request.
    REFUSED = "refused"


class Verification(StrEnum):
    #: Signed with an Ed25519 key registered for the requester's agency.
    SIGNATURE = "signature"
    #: Unsigned, from a requester whose e-mail domain is a verified domain of a verified agency.
    DOMAIN = "domain"
    #: Neither: staff must verify out of band before any disclosure.
    UNVERIFIED = "unverified"
    #: Staff verified it out of band (recorded by whom and when).
    STAFF = "staff"


class CallbackOutcome(StrEnum):
    CONFIRMED = "confirmed"
    DENIED = "denied"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Callback:
    """A call-back to a contact from the registry (never one from the request)."""

    contact: str
    outcome: CallbackOutcome
    by: str
    at: datetime
    note: str = ""

    def to_document(self) -> dict[str, Any]:
        return {
            "contact": self.contact,
            "outcome": self.outcome.value,
            "by": self.by,
            "at": self.at.isoformat(),
            "note": self.note,
        }


@dataclass(frozen=True)
class DemandRecord:
    id: str
    reference: str
    document: dict[str, Any]
    received_at: datetime
    submitted_by: str
    agency_id: str | None
    status: DemandStatus
    verification: Verification
    emergency: bool
    fraud_signs: tuple[FraudSign, ...] = ()
    signature_key_id: str | None = None
    verified_by: str | None = None
    callbacks: tuple[Callback, ...] = field(default=())
    withdrawn_at: datetime | None = None

    @property
    def callback_confirmed(self) -> bool:
        return any(c.outcome is CallbackOutcome.CONFIRMED for c in self.callbacks)

    def blocking_reasons(self) -> list[str]:
        """Every reason this demand may not lead to disclosure now; empty when it may."""
        reasons = []
        if self.status is DemandStatus.WITHDRAWN:
            reasons.append("the requester withdrew the demand")
        if self.status is DemandStatus.REFUSED:
            reasons.append("the registry contact denied sending this request on call-back")
        if self.verification is Verification.UNVERIFIED:
            reasons.append(
                "unverified requester: unsigned, from a domain not verified for the agency; "
                "staff must verify it out of band"
            )
        if self.fraud_signs and self.verified_by is None:
            codes = ", ".join(sorted({s.code for s in self.fraud_signs}))
            reasons.append(f"fraud signs not cleared by staff: {codes}")
        if self.emergency and not self.callback_confirmed:
            reasons.append(
                "emergency request awaiting a call-back to the agency's registry contact"
            )
        return reasons

    @property
    def disclosure_blocked_reason(self) -> str | None:
        reasons = self.blocking_reasons()
        return "; ".join(reasons) if reasons else None

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "reference": self.reference,
            "status": self.status.value,
            "received_at": self.received_at.isoformat(),
            "submitted_by": self.submitted_by,
            "agency": self.agency_id,
            "verification": self.verification.value,
            "signature_key_id": self.signature_key_id,
            "verified_by": self.verified_by,
            "emergency": self.emergency,
            "fraud_signs": [s.to_document() for s in self.fraud_signs],
            "callbacks": [c.to_document() for c in self.callbacks],
            "disclosure_blocked": self.disclosure_blocked_reason is not None,
            "disclosure_blocked_reason": self.disclosure_blocked_reason,
            "withdrawn_at": self.withdrawn_at.isoformat() if self.withdrawn_at else None,
            "document": self.document,
        }


#: Legal process arrives as PDF or as a scanned image; anything else is refused by its bytes.
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)
#: The media types a legal-process file may have, as the API publishes them.
LEGAL_PROCESS_MEDIA_TYPES = tuple(dict.fromkeys(media_type for _, media_type in _MAGIC))


def sniff_media_type(content: bytes) -> str | None:
    """The media type a legal-process file's first bytes show, or None if not PDF or image."""
    for magic, media_type in _MAGIC:
        if content.startswith(magic):
            return media_type
    return None


@dataclass(frozen=True)
class Attachment:
    """A legal-process file, kept with the SHA-256 of its exact bytes."""

    id: str
    demand_id: str
    filename: str
    media_type: str
    size: int
    sha256: str

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "demand": self.demand_id,
            "filename": self.filename,
            "media_type": self.media_type,
            "size": self.size,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class AssessmentRecord:
    """The law engine's answer (contract section 5), stored with the rule pack that gave it."""

    id: str
    demand_id: str
    as_of: str
    rule_pack_digest: str
    document: dict[str, Any]
    created_by: str
    created_at: datetime

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "demand": self.demand_id,
            "as_of": self.as_of,
            "rule_pack_digest": self.rule_pack_digest,
            "created_by": self.created_by,
            "created_at": self.created_at.isoformat(),
            "assessment": self.document,
        }
