"""What a transparency report needs of the log: the checkpoint it is counted at, and which demands
the log held by then; and, to verify a report, that the log still extends that checkpoint.

A report records the latest signed checkpoint when it was counted, and counts only the demands
whose ``demand:received`` entry lies below that checkpoint's size. ``comity report verify`` checks
the checkpoint's signature, that the log's root at that size is still the checkpoint's (the log
was not rewritten since), recounts the same demands, and names the demands and cases with entries
after the checkpoint: their outcome is recounted from their current state, which may have moved
on since the report was published.
"""

from __future__ import annotations

import base64

from sqlalchemy import select
from sqlalchemy.orm import Session

from comity.adapters.audit.proofs import SqlTreeReader
from comity.adapters.audit.signing import open_checkpoint
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.domain.note import VerifierKey
from comity.errors import IntegrityError, InvalidInput, NotFound

RECEIVED = "demand:received"


def counted_at(session: Session) -> dict[str, object]:
    """The latest signed checkpoint, as the report records it."""
    latest = SqlTreeReader(session).latest_checkpoint()
    if latest is None:
        raise NotFound("the audit log has no signed checkpoint to count the report at")
    return {
        "size": latest.size,
        "root": base64.b64encode(bytes(latest.root)).decode(),
        "note": latest.note,
    }


def demands_logged_before(session: Session, size: int) -> set[str]:
    """Ids of the demands whose receipt is among the log's first ``size`` entries."""
    subjects = session.scalars(
        select(AuditEntryRow.subject)
        .where(AuditEntryRow.action == RECEIVED)
        .where(AuditEntryRow.idx < size)
    )
    return {s.removeprefix("demand/") for s in subjects}


def changed_after(session: Session, size: int, limit: int = 20) -> list[str]:
    """Demands and cases with entries at or after ``size`` (the first ``limit``), for a note."""
    rows = session.execute(
        select(AuditEntryRow.subject, AuditEntryRow.idx)
        .where(AuditEntryRow.idx >= size)
        .where(AuditEntryRow.subject.like("demand/%") | AuditEntryRow.subject.like("case/%"))
        .order_by(AuditEntryRow.idx)
    ).all()
    seen: dict[str, int] = {}
    for subject, idx in rows:
        seen.setdefault(subject, idx)
    return [f"{s} (entry {i})" for s, i in list(seen.items())[:limit]]


def check_counted_at(session: Session, recorded: object, key: VerifierKey) -> int:
    """The size of the checkpoint a report records, once its signature and root check out."""
    if not isinstance(recorded, dict) or not isinstance(recorded.get("note"), str):
        raise InvalidInput("the report records no checkpoint (checkpoint.note)")
    try:
        checkpoint = open_checkpoint(recorded["note"], key)
    except IntegrityError as exc:
        raise IntegrityError(f"the report's checkpoint: {exc}") from None
    root = base64.b64encode(checkpoint.root).decode()
    if recorded.get("size") != checkpoint.size or recorded.get("root") != root:
        raise IntegrityError("the report's checkpoint size or root differs from its signed note")
    reader = SqlTreeReader(session)
    if checkpoint.size > reader.size() or reader.root_at(checkpoint.size) != checkpoint.root:
        raise IntegrityError(
            f"the log no longer extends the checkpoint of size {checkpoint.size} the report was "
            "counted at: the log was rewritten or truncated since"
        )
    return checkpoint.size
