"""Demand intake: validate, verify the sender, flag fraud signs, store once, withdraw, call back.

Every check refuses before anything is written, so a malformed or forged request leaves no trace
but its error; every accepted change is written with its audit event in one transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.demand import Demand, Vocabulary
from comity.domain.demand_schema import parse_demand
from comity.domain.fraud import (
    FraudSign,
    agency_signs,
    contact_signs,
    lookalike_signs,
    standing_signs,
)
from comity.domain.intake import (
    Attachment,
    Callback,
    CallbackOutcome,
    DemandRecord,
    DemandStatus,
    Verification,
    sniff_media_type,
)
from comity.domain.registry import (
    HANDLERS,
    READERS,
    VERIFIERS,
    Authority,
    AuthorityStatus,
    User,
    UserStatus,
    email_domain,
)
from comity.domain.signing import HEADER, parse_signature_header, signed_message
from comity.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge, collect
from comity.law.engine import LawEngine
from comity.services import paging
from comity.services.identity import UowFactory, authenticated, require
from comity.services.intake.ports import DemandFilter, DemandStatusView, IntakeUnitOfWork
from comity.services.ports import Clock

#: Legal process is a few pages of PDF or a scan; 20 MiB leaves room for a high-resolution scan.
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class LegalProcessFile:
    filename: str
    content: bytes


@dataclass(frozen=True)
class Submission:
    """What arrived: the exact demand bytes (as signed), an optional file and signature."""

    body: bytes
    file: LegalProcessFile | None = None
    signature: str | None = None
    #: Staff entering a demand received by other means name the registered agency it came from.
    agency_id: str | None = None


class _NotPlainJson(ValueError):
    pass


def _no_constant(name: str) -> object:
    """RFC 8259 has no NaN or Infinity; Python's parser accepts them unless told not to."""
    raise _NotPlainJson(f"{name} is not a JSON number")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 18:
        raise _NotPlainJson(f"the number {text[:24]}... has more than 18 digits")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotPlainJson(f"the number {text[:24]} is too large")
    return value


def decode_demand(
    body: bytes, *, known_countries: frozenset[str], vocabulary: Vocabulary | None = None
) -> tuple[dict[str, object], Demand]:
    """The demand document from JSON bytes, or every problem with it, each in one sentence."""
    doc = _decode_json(body)
    return doc, parse_checked(doc, known_countries=known_countries, vocabulary=vocabulary)


def parse_checked(
    doc: dict[str, Any], *, known_countries: frozenset[str], vocabulary: Vocabulary | None = None
) -> Demand:
    """The demand, or every problem with its shape and with what the rule pack knows."""
    demand, problems = parse_demand(doc, known_countries=known_countries)
    if demand is not None and vocabulary is not None:
        problems = vocabulary.problems(demand)
    collect(problems)
    assert demand is not None
    return demand


def vocabulary_of(engine: LawEngine) -> Vocabulary:
    """The instruments and courts ``engine``'s rule pack knows, as intake checks them."""
    facts = engine.pack.facts
    return Vocabulary(frozenset(facts.instruments), frozenset(facts.districts))


def stamp_received(doc: dict[str, Any], actor: User, now: datetime) -> dict[str, Any]:
    """The document as stored, with the provider's ``received_at`` (contract section 4).

    Deadlines run from, and the law is assessed as of, when the provider received the demand, so
    a requester may not set it: through the API and the portal it is ``now``, and a value the
    requester sent is kept only as ``dated``, the date on the document. Staff recording a demand
    that came by post or fax give the time it arrived (checked in ``submit_demand``: never in the
    future), or leave it to be ``now``.
    """
    stamped = dict(doc)
    sent = stamped.get("received_at")
    if actor.is_staff:
        if sent is None:
            stamped["received_at"] = now.isoformat()
        return stamped
    stamped["received_at"] = now.isoformat()
    if sent is not None and stamped.get("dated") is None:
        stamped["dated"] = sent
    return stamped


def _decode_json(body: bytes) -> dict[str, Any]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"the demand is not UTF-8 text (byte {exc.start})") from None
    try:
        doc = json.loads(
            text, parse_constant=_no_constant, parse_int=_bounded_int, parse_float=_finite_float
        )
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"the demand is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    except _NotPlainJson as exc:
        raise InvalidInput(f"the demand is not plain JSON: {exc}") from None
    except RecursionError:
        raise InvalidInput("the demand is not plain JSON: it is nested too deeply") from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"the demand must be a JSON object, got {type(doc).__name__}")
    return doc


def _same_content(stored: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a resubmission repeats the stored demand: all but the provider's stamp.

    A demand stored before ``dated`` existed kept the requester's date in ``received_at``, so
    ``dated`` is compared only when the stored document has one.
    """
    ignored = {"received_at"} if "dated" in stored else {"received_at", "dated"}
    return {k: v for k, v in stored.items() if k not in ignored} == {
        k: v for k, v in new.items() if k not in ignored
    }


def check_file(file: LegalProcessFile, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file's media type, judged by its bytes; refuse empty, oversized or other files."""
    if len(file.content) > max_bytes:
        raise TooLarge(
            f"file: the legal-process file is {len(file.content)} bytes; the limit is {max_bytes}"
        )
    if not file.content:
        raise InvalidInput("file: the legal-process file is empty")
    media_type = sniff_media_type(file.content)
    if media_type is None:
        raise InvalidInput(
            f"file: expected a PDF, PNG, JPEG or TIFF file, got bytes starting {file.content[:8]!r}"
        )
    return media_type


def _verify_signature(header: str, agency: Authority | None, message: bytes) -> str:
    parsed, why = parse_signature_header(header)
    if parsed is None:
        raise InvalidInput(why or f"{HEADER} header is malformed")
    if agency is None:
        raise Forbidden(
            f"{HEADER}: the request names no registered agency to hold key {parsed.key_id!r}"
        )
    key = next((k for k in agency.keys if k.key_id == parsed.key_id), None)
    if key is None:
        raise Forbidden(f"{HEADER}: key {parsed.key_id!r} is not registered for {agency.id}")
    try:
        signature = base64.b64decode(parsed.signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(f"{HEADER}: sig is not base64") from None
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.ed25519))
    try:
        public.verify(signature, message)
    except InvalidSignature:
        raise Forbidden(
            f"{HEADER}: the signature does not verify with key {key.key_id} of {agency.id}; "
            "the document or file was changed, or it was not signed by that key"
        ) from None
    return key.key_id


def _idempotency_key(agency_id: str | None, demand: Demand) -> str:
    if agency_id is not None:
        return f"agency:{agency_id}:{demand.reference}"
    issuer = demand.issuing_authority
    return f"unregistered:{issuer.country}:{issuer.name.lower()}:{demand.reference}"


def submit_demand(
    uow_factory: UowFactory,
    clock: Clock,
    actor: User,
    submission: Submission,
    *,
    known_countries: frozenset[str],
    max_file_bytes: int = MAX_FILE_BYTES,
    vocabulary: Vocabulary | None = None,
) -> tuple[DemandRecord, bool]:
    """Store a new demand, or return the one already filed under the same reference.

    Returns the record and whether it was created now. The same reference with different
    content is a conflict (409), never a silent return of the old demand. With ``vocabulary``
    (the rule pack's), an instrument or court the law engine does not know is refused.
    """
    if actor.is_staff:
        require(actor, HANDLERS)
    elif actor.status is UserStatus.BLOCKLISTED:
        raise Forbidden(f"the requester {actor.id} is blocklisted")
    now = clock.now()
    sent = _decode_json(submission.body)
    doc = stamp_received(sent, actor, now)
    try:
        demand = parse_checked(doc, known_countries=known_countries, vocabulary=vocabulary)
    except InvalidInput as exc:
        if "dated" in sent or "received_at" not in sent:
            raise
        # The requester's received_at is kept as dated: name the field they sent.
        problems = [re.sub(r"^dated\b", "received_at", p) for p in exc.problems]
        collect(problems)
        raise
    if demand.received_at > now:
        raise InvalidInput(
            f"received_at: {demand.received_at.isoformat()} is in the future; give the time "
            "the demand reached the provider, or leave it out for now"
        )
    media_type = check_file(submission.file, max_file_bytes) if submission.file else None
    file_sha = hashlib.sha256(submission.file.content).hexdigest() if submission.file else None
    if demand.emergency is not None and not actor.is_staff and not actor.may_file_emergency:
        raise Forbidden(
            f"emergency: the requester {actor.id} is not permitted to file emergency requests"
        )
    agency_id = actor.agency_id if not actor.is_staff else submission.agency_id
    with uow_factory() as uow:
        agency = uow.intake.get_authority(agency_id) if agency_id else None
        if agency_id and agency is None:
            raise NotFound(f"agency: no authority {agency_id!r} in the registry")
        if agency is not None and agency.status is AuthorityStatus.BLOCKLISTED:
            raise Forbidden(f"the agency {agency.id} is blocklisted; its requests are refused")
        key = _idempotency_key(agency_id, demand)
        existing = uow.intake.find_demand(key)
        if existing is not None:
            if not _same_content(existing.document, doc):
                raise Conflict(
                    f"reference: {demand.reference} was already filed ({existing.id}) with "
                    "different content; a changed demand needs a new reference, or withdraw "
                    "the first one"
                )
            return existing, False
        key_id = None
        if submission.signature is not None:
            key_id = _verify_signature(
                submission.signature, agency, signed_message(submission.body, file_sha)
            )
        registry = uow.intake.list_authorities()
        verification = _verification(actor, agency, key_id)
        signs = _fraud_signs(actor, agency, demand, registry)
        record = DemandRecord(
            id="dem-" + uuid.uuid4().hex[:16],
            reference=demand.reference,
            document=doc,
            received_at=demand.received_at,
            submitted_by=actor.id,
            agency_id=agency_id,
            status=DemandStatus.RECEIVED,
            verification=verification,
            emergency=demand.emergency is not None,
            fraud_signs=tuple(signs),
            signature_key_id=key_id,
        )
        uow.intake.add_demand(record, key)
        attachment = None
        if submission.file is not None and media_type is not None and file_sha is not None:
            attachment = Attachment(
                "att-" + uuid.uuid4().hex[:16],
                record.id,
                _safe_name(submission.file.filename),
                media_type,
                len(submission.file.content),
                "sha256:" + file_sha,
            )
            uow.intake.add_attachment(attachment, submission.file.content)
        uow.audit.record(
            AuditEvent.of(
                now,
                actor.id,
                AuditAction.DEMAND_RECEIVED,
                f"demand/{record.id}",
                {
                    "record": record.to_document(),
                    "attachment": attachment.to_document() if attachment else None,
                },
            )
        )
        uow.commit()
    return record, True


def _safe_name(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    cleaned = "".join(ch for ch in name if ch.isprintable() and ch not in '"')
    return (cleaned or "legal-process")[:255]


def _verification(actor: User, agency: Authority | None, key_id: str | None) -> Verification:
    if key_id is not None:
        return Verification.SIGNATURE
    domain = email_domain(actor.email)
    if (
        not actor.is_staff
        and agency is not None
        and agency.status is AuthorityStatus.VERIFIED
        and domain in agency.domains
    ):
        return Verification.DOMAIN
    return Verification.UNVERIFIED


def _fraud_signs(
    actor: User, agency: Authority | None, demand: Demand, authorities: Sequence[Authority]
) -> list[FraudSign]:
    signs: list[FraudSign] = []
    if not actor.is_staff:
        signs += lookalike_signs(email_domain(actor.email), "requester e-mail", authorities)
    contact = demand.requesting_agency.contact if demand.requesting_agency else None
    if contact is not None:
        signs += lookalike_signs(
            email_domain(contact.email), "requesting_agency.contact.email", authorities
        )
        signs += contact_signs(contact.email, contact.phone, agency)
    signs += standing_signs(None if actor.is_staff else actor, agency)
    signs += agency_signs(demand.requesting_agency, agency)
    unique: dict[str, FraudSign] = {s.message: s for s in signs}
    return list(unique.values())


def visible_demand(uow_factory: UowFactory, actor: User, demand_id: str) -> DemandRecord:
    """The demand if ``actor`` may see it; otherwise the same 404 as for one that does not exist."""
    with uow_factory() as uow:
        record = uow.intake.get_demand(demand_id)
    return visible_record(actor, record, demand_id)


def visible_record(actor: User, record: DemandRecord | None, demand_id: str) -> DemandRecord:
    if actor.is_staff:
        require(actor, READERS)
    elif record is not None and record.agency_id != actor.agency_id:
        record = None  # another agency's demand: do not reveal that it exists
    if record is None:
        raise NotFound(f"no demand with id {demand_id!r}")
    return record


def demand_status(uow_factory: UowFactory, token: str | None, demand_id: str) -> DemandStatusView:
    """Where a demand stands, for the holder of ``token``, under ``visible_demand``'s rule.

    Requesters' systems poll this, so the caller and the demand are read in one transaction.
    """
    with uow_factory() as uow:
        actor = authenticated(uow, token)
        if actor.is_staff:
            require(actor, READERS)
        view = uow.intake.get_demand_status(demand_id)
    if view is None or (not actor.is_staff and view.agency_id != actor.agency_id):
        raise NotFound(f"no demand with id {demand_id!r}")
    return view


def disclosure_blocked_reason(uow_factory: UowFactory, demand_id: str) -> str | None:
    """Why ``demand_id`` may not lead to disclosure now (None: nothing blocks it).

    For the workflow to call at production time; it is not scoped to a caller.
    """
    with uow_factory() as uow:
        record = uow.intake.get_demand(demand_id)
    if record is None:
        raise NotFound(f"no demand with id {demand_id!r}")
    return record.disclosure_blocked_reason


def list_demands(
    uow_factory: UowFactory,
    actor: User,
    where: DemandFilter,
    *,
    limit: int | None,
    after: str | None = None,
    newest_first: bool = False,
) -> paging.Page[DemandRecord]:
    """Demands visible to ``actor`` in filing order (or newest first), a page at a time (every
    one when ``limit`` is None), after the cursor ``after`` (``services.paging``)."""
    paging.check_limit(limit, "demands")
    key = paging.position(after, 1, lambda parts: paging.number(parts[0]))
    where = _visible(actor, where)
    with uow_factory() as uow:
        rows = uow.intake.page_demands(
            where, paging.fetch_size(limit), key, newest_first=newest_first
        )
    shown, cursor = paging.cut(rows, limit, lambda r: paging.encode([str(r[1])]))
    return paging.Page([record for record, _ in shown], cursor)


def count_demands(uow_factory: UowFactory, actor: User, where: DemandFilter) -> int:
    """How many demands visible to ``actor`` match ``where``."""
    where = _visible(actor, where)
    with uow_factory() as uow:
        return uow.intake.count_demands(where)


def _visible(actor: User, where: DemandFilter) -> DemandFilter:
    """Staff who may read demands see every one; a requester only their agency's."""
    if actor.is_staff:
        require(actor, READERS)
        return where
    return replace(where, agency_id=actor.agency_id)


def withdraw_demand(
    uow_factory: UowFactory, clock: Clock, actor: User, demand_id: str, *, reason: str = ""
) -> DemandRecord:
    """The requester who filed a demand may withdraw it; a withdrawn demand stays on record.

    A demand with a case is withdrawn through ``services.cases.withdraw_demand``, which also
    withdraws the case in the same transaction.
    """
    with uow_factory() as uow:
        record, changed = withdraw_in(uow, clock, actor, demand_id, reason=reason)
        if changed:
            uow.commit()
    return record


def withdraw_in(
    uow: IntakeUnitOfWork, clock: Clock, actor: User, demand_id: str, *, reason: str = ""
) -> tuple[DemandRecord, bool]:
    """``withdraw_demand`` inside a unit of work the caller commits; True if it changed."""
    record = visible_record(actor, uow.intake.get_demand(demand_id), demand_id)
    if actor.is_staff or record.submitted_by != actor.id:
        raise Forbidden(f"only the requester who filed {demand_id} may withdraw it")
    if record.status is DemandStatus.WITHDRAWN:
        return record, False
    if record.status is not DemandStatus.RECEIVED:
        raise Conflict(f"demand {demand_id} is {record.status.value} and cannot be withdrawn")
    record = replace(record, status=DemandStatus.WITHDRAWN, withdrawn_at=uow.now)
    uow.intake.update_demand(record)
    uow.audit.record(
        AuditEvent.of(
            uow.now,
            actor.id,
            AuditAction.DEMAND_WITHDRAWN,
            f"demand/{demand_id}",
            {"reason": reason},
        )
    )
    return record, True


def verify_demand(
    uow_factory: UowFactory, clock: Clock, actor: User, demand_id: str, *, note: str
) -> DemandRecord:
    """Staff record that they verified the requester out of band; clears the fraud-sign block."""
    require(actor, VERIFIERS)
    if not note.strip():
        raise InvalidInput("note: say how the requester was verified (whom you reached, how)")
    with uow_factory() as uow:
        record = visible_record(actor, uow.intake.get_demand(demand_id), demand_id)
        if record.status is not DemandStatus.RECEIVED:
            raise Conflict(f"demand {demand_id} is {record.status.value}; nothing to verify")
        verification = (
            Verification.STAFF
            if record.verification is Verification.UNVERIFIED
            else record.verification
        )
        record = replace(record, verification=verification, verified_by=actor.id)
        uow.intake.update_demand(record)
        uow.audit.record(
            AuditEvent.of(
                uow.now,
                actor.id,
                AuditAction.DEMAND_VERIFIED,
                f"demand/{demand_id}",
                {"note": note},
            )
        )
        uow.commit()
    return record


def record_callback(
    uow_factory: UowFactory,
    clock: Clock,
    actor: User,
    demand_id: str,
    *,
    contact: str,
    outcome: CallbackOutcome,
    note: str = "",
) -> DemandRecord:
    """Record a call-back to a registry contact of the demand's agency (never the request's).

    Only a confirmed call-back lets an emergency request go on to disclosure; a denial marks the
    demand refused, as forged.
    """
    require(actor, HANDLERS)
    with uow_factory() as uow:
        record = visible_record(actor, uow.intake.get_demand(demand_id), demand_id)
        if record.status is not DemandStatus.RECEIVED:
            raise Conflict(f"demand {demand_id} is {record.status.value}; no call-back is needed")
        agency = uow.intake.get_authority(record.agency_id) if record.agency_id else None
        if agency is None:
            raise Conflict(
                f"demand {demand_id} comes from no registered agency, so there is no "
                "independently sourced contact to call back; register the agency first"
            )
        names = {c.name for c in agency.contacts}
        if contact not in names:
            known = ", ".join(sorted(names)) or "none"
            raise NotFound(  # well formed, but names no stored contact: like an unknown agency
                f"contact: {contact!r} is not a registry contact of {agency.id} (known: {known})"
            )
        callback = Callback(contact, outcome, actor.id, uow.now, note)
        status = DemandStatus.REFUSED if outcome is CallbackOutcome.DENIED else record.status
        signs = record.fraud_signs
        if outcome is CallbackOutcome.DENIED:
            signs += (FraudSign("callback_denied", f"{contact} denied sending this request"),)
        record = replace(
            record, callbacks=(*record.callbacks, callback), status=status, fraud_signs=signs
        )
        uow.intake.update_demand(record)
        uow.audit.record(
            AuditEvent.of(
                uow.now,
                actor.id,
                AuditAction.DEMAND_CALLBACK,
                f"demand/{demand_id}",
                callback.to_document(),
            )
        )
        uow.commit()
    return record


def list_attachments(uow_factory: UowFactory, actor: User, demand_id: str) -> list[Attachment]:
    with uow_factory() as uow:
        visible_record(actor, uow.intake.get_demand(demand_id), demand_id)
        return list(uow.intake.list_attachments(demand_id))


def get_attachment(
    uow_factory: UowFactory, actor: User, demand_id: str, attachment_id: str
) -> tuple[Attachment, bytes]:
    with uow_factory() as uow:
        visible_record(actor, uow.intake.get_demand(demand_id), demand_id)
        found = uow.intake.get_attachment(demand_id, attachment_id)
    if found is None:
        raise NotFound(f"demand {demand_id} has no attachment {attachment_id!r}")
    return found
