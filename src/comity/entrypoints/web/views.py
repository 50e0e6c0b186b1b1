"""What the pages show, assembled from the services: a demand's deadline, the queue's counts,
its audit trail and the checked proof of one entry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from comity.bootstrap import Comity
from comity.domain.case.waiting import LABELS
from comity.domain.intake import AssessmentRecord, DemandRecord
from comity.domain.registry import User
from comity.entrypoints.web import audit_words
from comity.services.cases.queue import QueueItem
from comity.services.intake import demands as svc
from comity.services.intake.ports import DemandFilter

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
    before that, the earliest deadline the law engine's findings name (ISO 8601; the page shows
    it in UTC and the court's zone with ``utc_and_zone``)."""
    if item is not None:
        due = item.next_deadline
        return None if due is None else due.due_at.isoformat()
    return earliest_deadline(assessment)


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
    #: "rita started the review of case cas-1".
    sentence: str = ""


def trail(comity: Comity, subjects: list[str]) -> list[TrailRow]:
    with comity.console_reader() as uow:
        entries = uow.console.trail(subjects)
    rows = []
    for e in entries:
        doc = json.loads(e.entry)
        actor = doc.get("actor", "")
        said = audit_words.sentence(actor, e.action, doc.get("subject", ""))
        rows.append(TrailRow(e.index, doc.get("time", ""), actor, e.action, said))
    return rows


def proof(comity: Comity, index: int) -> dict[str, Any]:
    """Entry ``index`` with its inclusion proof and the server's check of each link, for the
    proof page (the checks are ``AuditLog.check_entry``'s)."""
    checked = comity.audit_log.check_entry(index)
    fields = json.loads(checked.entry)
    return {
        "entry": json.dumps(fields, indent=2, ensure_ascii=False),
        "fields": fields,
        "described": audit_words.describe(comity, fields),
        "doc": checked.proof,
        "checkpoint": checked.checkpoint,
        "checks": checked.checks,
        "ok": checked.ok,
    }


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
