"""The transparency report: the period's demands and their cases, tabulated by the domain.

Staff only: the figures are published in aggregate, but the report is built from every demand.
Reading changes nothing, so nothing is written to the audit log.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, date, datetime, time, timedelta

from comity.domain.intake import DemandRecord, DemandStatus
from comity.domain.registry import READERS, User
from comity.domain.transparency import DemandFacts, Report, check_period, tabulate
from comity.domain.transparency_profiles import (
    Bands,
    Profile,
    is_national_security,
    national_security,
    table,
)
from comity.domain.workflow import Case
from comity.services.cases.ports import CaseUnitOfWork
from comity.services.identity import require
from comity.services.intake.ports import DemandFilter

_PAGE = 500


def transparency_report(
    uow_factory: Callable[[], CaseUnitOfWork], actor: User, start: date, end: date
) -> Report:
    """Figures for the demands received from ``start`` to ``end`` (UTC days, both inclusive)."""
    require(actor, READERS)
    check_period(start, end)
    return tabulate(_facts(uow_factory, start, end), start, end)


def _facts(
    uow_factory: Callable[[], CaseUnitOfWork], start: date, end: date
) -> Iterator[DemandFacts]:
    where = DemandFilter(
        received_from=datetime.combine(start, time(0), tzinfo=UTC),
        received_before=datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC),
    )
    after: int | None = None
    while True:
        with uow_factory() as uow:
            rows = uow.intake.page_demands(where, _PAGE, after)
            page = [record for record, _ in rows]
            # The page's cases in one query, not one query per demand.
            found = uow.cases.for_demands([record.id for record in page])
            facts = [_of(record, found.get(record.id)) for record in page]
        yield from facts
        if len(rows) < _PAGE:
            return
        after = rows[-1][1]


def _of(record: DemandRecord, case: Case | None) -> DemandFacts:
    doc = record.document
    authority = doc.get("issuing_authority")
    country = authority.get("country") if isinstance(authority, dict) else None
    targets = doc.get("targets")
    return DemandFacts(
        demand_id=record.id,
        received_on=record.received_at.astimezone(UTC).date(),
        country=country if isinstance(country, str) else "unknown",
        instrument=str(doc.get("instrument", "unknown")),
        accounts_specified=len(targets) if isinstance(targets, list) else 0,
        emergency=record.emergency,
        withdrawn=record.status is DemandStatus.WITHDRAWN,
        refused_at_intake=record.status is DemandStatus.REFUSED,
        case=case,
    )


def published_report(
    uow_factory: Callable[[], CaseUnitOfWork],
    actor: User,
    start: date,
    end: date,
    *,
    which: Profile,
    bands: Bands,
    logged: Collection[str],
    counted_at: dict[str, object],
) -> dict[str, object]:
    """The report as published: ``which`` provider's columns, national-security process in
    counsel's bands, counted over the demands whose receipt the log held at ``counted_at``.

    ``logged`` is the ids of the demands whose ``demand:received`` entry lies below the
    checkpoint's size; a demand received after it waits for the next report. Recounting with the
    same inputs gives the same document, which is what ``comity report verify`` does.
    """
    require(actor, READERS)
    check_period(start, end)
    facts = [f for f in _facts(uow_factory, start, end) if f.demand_id in logged]
    secret = Counter(f.instrument for f in facts if is_national_security(f.instrument))
    report = tabulate((f for f in facts if not is_national_security(f.instrument)), start, end)
    doc: dict[str, object] = (
        report.to_document()
        if which is Profile.COMITY
        else {
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "counted_by": "date the provider received the demand",
        }
    )
    doc["report"] = "transparency"
    doc.update(table(report, which).to_document())
    doc["national_security"] = national_security(dict(secret), end, bands)
    doc["checkpoint"] = counted_at
    return doc
