"""Proofs that travel: each published package gets a C2SP tlog-proof of its log entry.

When a production is published, its ``production:published`` entry (package SHA-256, size, record
count) commits with a signed checkpoint. ``write_production_proof`` then writes
``<package>.tlog-proof`` beside the package: the inclusion proof of that entry in that checkpoint,
the checkpoint with whatever cosignatures it has, and as ``extra`` the entry and the payload it
digests (tlog-proof's extra is "additional data necessary to reconstruct the record hash"). The
proof cannot be inside the package: the entry commits to the package's hash.

``check_production_proof`` is what ``comity verify`` does offline: the proof parses; its checkpoint
is signed by the log's key (when given); the entry hashes, through the proof, to the checkpoint's
root; it is a ``production:published`` entry whose payload digest is the payload in ``extra``; and
that payload names this very package (SHA-256 and size of the file, its record count).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.adapters.audit.proofs import SqlTreeReader
from comity.adapters.audit.signing import open_checkpoint
from comity.adapters.audit.witnessing import cosignature_lines
from comity.adapters.controlplane.audit_tables import AuditCheckpointRow
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.domain.audit import canonical_json, digest
from comity.domain.merkle_proofs import verify_entry_inclusion
from comity.domain.note import Checkpoint, NoteError, VerifierKey, parse_note
from comity.domain.tlog_proof import SUFFIX, TlogProof, TlogProofError, parse_tlog_proof
from comity.errors import IntegrityError, NotFound
from comity.services.productions.ports import Production

PUBLISHED = "production:published"


def proof_path(package: Path) -> Path:
    return package.with_name(package.name + SUFFIX)


def published_payload(production: Production) -> dict[str, Any]:
    """The payload the ``production:published`` entry digests (services.productions._publish)."""
    return {
        "case": production.case_id,
        "demand": production.demand_id,
        "sha256": production.sha256,
        "size": production.size,
        "records": production.record_count,
        "encrypted": production.encrypted_path is not None,
    }


def production_proof(session: Session, production: Production) -> TlogProof:
    """The tlog-proof of ``production``'s publication entry in the checkpoint that sealed it."""
    row = session.execute(
        select(AuditEntryRow.idx, AuditEntryRow.entry)
        .where(AuditEntryRow.action == PUBLISHED)
        .where(AuditEntryRow.subject == f"production/{production.id}")
        .order_by(AuditEntryRow.idx.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(f"production {production.id} has no publication entry in the audit log")
    index, entry = int(row[0]), str(row[1])
    payload = published_payload(production)
    if json.loads(entry)["digest"] != digest(payload):
        raise IntegrityError(f"production {production.id} does not match its publication entry")
    checkpoint = session.scalars(
        select(AuditCheckpointRow)
        .where(AuditCheckpointRow.size > index)
        .order_by(AuditCheckpointRow.size)
        .limit(1)
    ).first()
    if checkpoint is None:
        raise NotFound(f"no signed checkpoint covers entry {index} yet")
    proof = SqlTreeReader(session).inclusion_proof(index, checkpoint.size)
    extra = canonical_json({"entry": entry, "payload": payload})
    note = checkpoint.note + cosignature_lines(session, checkpoint.size)
    return TlogProof(index, tuple(proof), note, extra)


def write_production_proof(session: Session, production: Production) -> Path:
    """Write ``<package>.tlog-proof`` beside the published package; return its path."""
    out = proof_path(Path(production.path))
    out.write_text(production_proof(session, production).text(), encoding="utf-8")
    return out


def check_production_proof(
    text: str, package: Path, record_count: int, log_key: VerifierKey | None
) -> Checkpoint:
    """Check a package's tlog-proof offline; the checkpoint it is proven in, or IntegrityError."""
    try:
        proof = parse_tlog_proof(text)
        note = parse_note(proof.checkpoint)
        checkpoint = (
            open_checkpoint(proof.checkpoint, log_key)
            if log_key is not None
            else Checkpoint.parse(note.text)
        )
        extra = json.loads(proof.extra or b"")
        entry, payload = str(extra["entry"]), extra["payload"]
        fields = json.loads(entry)
    except (TlogProofError, NoteError, ValueError, KeyError, TypeError) as exc:
        raise IntegrityError(f"the package's log proof is malformed: {exc}") from None
    if log_key is not None and checkpoint.origin != log_key.name:
        raise IntegrityError(
            f"the log proof is for log {checkpoint.origin!r}, not {log_key.name!r}"
        )
    if not verify_entry_inclusion(
        proof.index, checkpoint.size, entry.encode(), list(proof.proof), checkpoint.root
    ):
        raise IntegrityError(
            f"the log proof does not show entry {proof.index} in the checkpoint of size "
            f"{checkpoint.size}"
        )
    if fields.get("action") != PUBLISHED or fields.get("digest") != digest(payload):
        raise IntegrityError("the proven log entry is not the publication of this payload")
    data = package.read_bytes()
    same = payload.get("sha256") == hashlib.sha256(data).hexdigest()
    if not same or payload.get("size") != len(data):
        raise IntegrityError("the log entry publishes another package (SHA-256 or size differ)")
    if payload.get("records") != record_count:
        raise IntegrityError("the log entry publishes another number of records")
    return checkpoint
