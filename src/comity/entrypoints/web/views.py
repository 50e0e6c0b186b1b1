"""What the pages show, assembled from the services: a demand's deadline, the queue's counts,
its audit trail and the checked proof of one entry."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from comity.adapters.audit.documents import head_size, inclusion_document
from comity.adapters.audit.signing import open_checkpoint
from comity.bootstrap import Comity
from comity.domain.case.waiting import LABELS
from comity.domain.intake import AssessmentRecord, DemandRecord
from comity.domain.merkle import leaf_hash
from comity.domain.merkle_proofs import verify_inclusion
from comity.domain.registry import User
from comity.errors import ComityError
from comity.services import demands as svc
from comity.services.case_queue import QueueItem
from comity.services.intake_ports import DemandFilter

QUEUE_FILTERS = {
    "all": DemandFilter(),
    "received": DemandFilter(status="received"),
    "emergency": DemandFilter(emergency=True),
    "blocked": DemandFilter(blocked=True),
    "withdrawn": DemandFilter(status="withdrawn"),
    "refused": DemandFilter(status="refused"),
}


def counts(comity: Comity, user: User) -> dict[str, int]:
    """How many demands each quick filter holds (one indexed count each)."""
    return {
        name: svc.count_demands(comity.reader, user, where) for name, where in QUEUE_FILTERS.items()
    }


def earliest_deadline(assessment: AssessmentRecord | None) -> str | None:
    """The first date by which the provider must act, over the latest assessment's findings."""
    if assessment is None:
        return None
    days = [f["deadline"] for f in assessment.document.get("findings", []) if f.get("deadline")]
    return min(days) if days else None


def next_deadline(item: QueueItem | None, assessment: AssessmentRecord | None) -> str | None:
    """The case's next deadline once there is a case (it counts days in the issuer's zone);
    before that, the earliest deadline the law engine's findings name; shown in UTC."""
    if item is not None:
        due = item.next_deadline
        return None if due is None else in_utc(due.due_at.isoformat())
    found = earliest_deadline(assessment)
    return None if found is None else in_utc(found)


def in_utc(text: str) -> str:
    """An ISO 8601 instant as ``YYYY-MM-DD HH:MM UTC`` (a bare date stays a date)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return text
    if value.tzinfo is None:
        return text[:10] if len(text) <= 10 else f"{value:%Y-%m-%d %H:%M} UTC"
    return f"{value.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


#: The queue's words for whom a case waits on (``comity.domain.workflow.WaitingOn``).
WAITING_WORDS = {w.value: label for w, label in LABELS.items()}


def demands_of(comity: Comity, ids: list[str]) -> list[DemandRecord]:
    """These demands, in the order given (one read; the ids come from the queue's own page)."""
    with comity.reader() as uow:
        found = [uow.intake.get_demand(demand_id) for demand_id in ids]
    return [record for record in found if record is not None]


def latest_assessments(comity: Comity, ids: list[str]) -> dict[str, AssessmentRecord]:
    found: dict[str, AssessmentRecord] = {}
    with comity.reader() as uow:
        for demand_id in ids:
            records = uow.intake.list_assessments(demand_id)
            if records:
                found[demand_id] = max(records, key=lambda r: r.created_at)
    return found


@dataclass(frozen=True)
class TrailRow:
    index: int
    time: str
    actor: str
    action: str


def trail(comity: Comity, subjects: list[str]) -> list[TrailRow]:
    with comity.console_reader() as uow:
        entries = uow.console.trail(subjects)
    rows = []
    for e in entries:
        doc = json.loads(e.entry)
        rows.append(TrailRow(e.index, doc.get("time", ""), doc.get("actor", ""), e.action))
    return rows


def proof(comity: Comity, index: int) -> dict[str, Any]:
    """Entry ``index`` with its inclusion proof, and the server's checks of each link.

    The checks are the ones an outside auditor makes with ``comity audit prove``: the entry
    hashes to the leaf, the proof leads from the leaf to the root, and that root is the one the
    log's key signed in the latest checkpoint.
    """
    with comity.reader() as uow:
        row = uow.audit.entry(index)
        text, stored_leaf = row.entry, bytes(row.leaf_hash)
        size = head_size(uow.audit)
        doc = inclusion_document(uow.audit, index, size)
        latest = uow.audit.latest_checkpoint()
        note = latest.note if latest is not None else None
    leaf_ok = leaf_hash(text.encode()) == stored_leaf
    path_ok = verify_inclusion(
        index,
        size,
        stored_leaf,
        [_unb64(h) for h in doc["proof"]],  # type: ignore[attr-defined]
        _unb64(str(doc["root"])),
    )
    signed_ok, signed_why = False, "no signed checkpoint covers this entry yet"
    signer = comity.audit_signer
    if note is not None and signer is not None:
        try:
            checkpoint = open_checkpoint(note, signer.verifier_key)
            signed_ok = checkpoint.size == size and checkpoint.root == _unb64(str(doc["root"]))
            signed_why = (
                f"signed by {checkpoint.origin} at size {checkpoint.size}"
                if signed_ok
                else "the signed checkpoint names a different size or root"
            )
        except ComityError as exc:
            signed_why = exc.message
    return {
        "entry": json.dumps(json.loads(text), indent=2, ensure_ascii=False),
        "doc": doc,
        "checkpoint": note,
        "checks": [
            ("The entry's bytes hash to its stored leaf hash (RFC 9162 leaf)", leaf_ok, ""),
            ("The inclusion proof leads from the leaf to the tree's root", path_ok, ""),
            ("That root is the one in the log's signed checkpoint", signed_ok, signed_why),
        ],
        "ok": leaf_ok and path_ok and signed_ok,
    }


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


def document_rows(record: DemandRecord) -> list[tuple[str, str]]:
    """The demand document's main fields, in words, for the top of the demand page."""
    d = record.document
    issuer = d.get("issuing_authority") or {}
    offence = d.get("offence") or {}
    period = d.get("period") or {}
    emergency = d.get("emergency") or {}
    rows = [
        ("Reference", str(d.get("reference", ""))),
        ("Instrument", str(d.get("instrument", ""))),
        (
            "Issued by",
            f"{issuer.get('name', '')} ({issuer.get('kind', '')}, {issuer.get('country', '')})",
        ),
        ("Data asked for", ", ".join(d.get("categories") or [])),
        (
            "Targets",
            ", ".join(f"{t.get('type')}: {t.get('value')}" for t in d.get("targets") or []),
        ),
    ]
    if period:
        rows.append(("Period", f"{period.get('start')} to {period.get('end')}"))
    if offence:
        rows.append(("Offence", str(offence.get("description", ""))))
    if d.get("non_disclosure"):
        rows.append(("Non-disclosure order until", str(d["non_disclosure"].get("until"))))
    if emergency:
        rows.append(("Emergency", str(emergency.get("threat", ""))))
    return rows
