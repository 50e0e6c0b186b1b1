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
from enum import StrEnum
from json.encoder import encode_basestring
from typing import Any


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON (sorted keys, no spaces, UTF-8) so equal events hash equally."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(value: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``value`` (or of raw bytes)."""
    data = value if isinstance(value, bytes) else canonical_json(value)
    return "sha256:" + hashlib.sha256(data).hexdigest()


class AuditAction(StrEnum):
    """Every action Comity writes to the log: a closed list (issue 12).

    The values are the stored strings and must never change, or logs written before would no
    longer read as the same actions (their hashes still verify: the log hashes what is stored).
    ``AuditEvent.of`` refuses any other string, so a new kind of entry is added here first.
    """

    ACCOUNT_CREATED = "account:created"
    ACCOUNT_RECORDS_DELETED = "account:records:deleted"
    ACCOUNT_RECORDS_PURGED = "account:records:purged"
    AUTHORITY_REGISTERED = "authority:registered"
    AUTHORITY_STATUS = "authority:status"
    CUSTODY_INGEST_STARTED = "custody:ingest_started"
    CUSTODY_INGESTED = "custody:ingested"
    CUSTODY_INGEST_FAILED = "custody:ingest_failed"
    CUSTODY_KEY_ROTATED = "custody:key:rotated"
    CUSTODY_MOVE_STARTED = "custody:move:started"
    CUSTODY_MOVE_SWITCHED = "custody:move:switched"
    CUSTODY_MOVE_COMPLETED = "custody:move:completed"
    CUSTODY_SNAPSHOT = "custody:snapshot"
    CUSTODY_HELD_IN_PLACE = "custody:in_place:held"
    CUSTODY_HOLD_IN_PLACE_FAILED = "custody:in_place:hold_failed"
    CUSTODY_RELEASED_IN_PLACE = "custody:in_place:released"
    CUSTODY_RELEASE_IN_PLACE_FAILED = "custody:in_place:release_failed"
    DEMAND_RECEIVED = "demand:received"
    DEMAND_WITHDRAWN = "demand:withdrawn"
    DEMAND_VERIFIED = "demand:verified"
    DEMAND_CALLBACK = "demand:callback"
    DEMAND_MESSAGE_POSTED = "demand:message:posted"
    DEMAND_ASSESSMENT_CREATED = "demand:assessment:created"
    ETSI_IMPORTED = "etsi:imported"
    NOTIFY_SENT = "notify:sent"
    PKI_CA_CREATED = "pki:ca:created"
    PKI_CERTIFICATE_ISSUED = "pki:certificate:issued"
    PRODUCTION_REFUSED = "production:refused"
    PRODUCTION_STARTED = "production:started"
    PRODUCTION_PUBLISHED = "production:published"
    PRODUCTION_LINK_CREATED = "production:link:created"
    PRODUCTION_DOWNLOADED = "production:downloaded"
    PRODUCTION_ABANDONED = "production:abandoned"
    PRODUCTION_FAILED = "production:failed"
    PRODUCTION_RETRIED = "production:retried"
    PRODUCTION_CLAIM_TAKEN_OVER = "production:claim:taken_over"
    PRODUCTION_PARTS_QUEUED = "production:parts:queued"
    TOKEN_ISSUED = "token:issued"  # noqa: S105 - an action name, not a secret
    USER_CREATED = "user:created"
    USER_STATUS = "user:status"
    USER_TOTP_ENROLLED = "user:totp:enrolled"
    USER_PASSWORD_SET = "user:password:set"  # noqa: S105 - an action name, not a secret
    USER_SIGNED_IN = "user:signed-in"
    USER_SIGNED_OUT = "user:signed-out"
    WITNESS_REFUSED = "witness:refused"
    # The case: its opening, each workflow step (``case:<transition>``), decisions, holds,
    # notices and court events (``case:court:<kind>``).
    CASE_OPENED = "case:opened"
    CASE_ASSESS = "case:assess"
    CASE_REASSESS = "case:reassess"
    CASE_START_REVIEW = "case:start_review"
    CASE_DECIDE = "case:decide"
    CASE_RECOMMEND = "case:recommend"
    CASE_APPROVE = "case:approve"
    CASE_REJECT = "case:reject"
    CASE_REDIRECT = "case:redirect"
    CASE_OBJECT = "case:object"
    CASE_RESUME = "case:resume"
    CASE_START_PRODUCTION = "case:start_production"
    CASE_DELIVER = "case:deliver"
    CASE_CLOSE = "case:close"
    CASE_WITHDRAW = "case:withdraw"
    CASE_FINDING_DECIDED = "case:finding:decided"
    CASE_HOLD_PLACED = "case:hold:placed"
    CASE_HOLD_EXTENDED = "case:hold:extended"
    CASE_HOLD_CONFIRMED = "case:hold:confirmed"
    CASE_HOLD_RELEASED = "case:hold:released"
    CASE_NOTICE_NON_DISCLOSURE = "case:notice:non_disclosure"
    CASE_NOTICE_DELAYED = "case:notice:delayed"
    CASE_NOTICE_CUSTOMER = "case:notice:customer"
    CASE_NOTICE_GIVEN = "case:notice:given"
    CASE_COURT_MOTION_TO_QUASH = "case:court:motion_to_quash"
    CASE_COURT_MOTION_TO_MODIFY = "case:court:motion_to_modify"
    CASE_COURT_MOTION_2703H = "case:court:motion_2703h"
    CASE_COURT_RULING = "case:court:ruling"
    CASE_COURT_STAY = "case:court:stay"
    CASE_COURT_CONTEMPT = "case:court:contempt"
    CASE_COURT_APPEAL = "case:court:appeal"
    CASE_COURT_PETITION_REHEARING = "case:court:petition_rehearing"
    CASE_COURT_PROCEEDING = "case:court:proceeding"
    CASE_COURT_LAW_CHANGE = "case:court:law_change"
    CASE_COURT_MOOT = "case:court:moot"
    CASE_COURT_JUDGMENT_VACATED = "case:court:judgment_vacated"
    CASE_COURT_REPLACEMENT_DEMAND = "case:court:replacement_demand"


def audit_action(action: str) -> AuditAction:
    """``action`` as a member of the closed list; a string not on it is a programming error."""
    try:
        return AuditAction(action)
    except ValueError:
        raise ValueError(
            f"audit action {action!r} is not in comity.domain.audit.AuditAction; add it there"
        ) from None


@dataclass(frozen=True)
class AuditEvent:
    """One entry of the audit log.

    ``action`` is one of ``AuditAction``, such as ``account:created``;
    ``subject`` names what changed (``account/acct-0001``).
    """

    time: datetime
    actor: str
    action: str
    subject: str
    payload_digest: str

    @staticmethod
    def of(time: datetime, actor: str, action: str, subject: str, payload: Any) -> AuditEvent:
        """A new event to write; ``action`` must be an ``AuditAction`` (or its exact string).

        Events read back from a stored log are built directly, so old entries always load."""
        return AuditEvent(time, actor, audit_action(action).value, subject, digest(payload))

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
