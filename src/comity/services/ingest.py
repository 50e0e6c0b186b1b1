"""Ingest: write an account's records into the regions its placement names, and log it.

Each record goes to ``account.region_for(record.category)``, so a message's content lands in one
region and its traffic record perhaps in another (Microsoft Ireland: content in eu-ie, traffic in
us-west). Every region touched is written inside one open transaction; if the input turns out
to be bad halfway, all of them roll back and nothing is half-written. The control plane gets
only counts and a digest of the record ids on its audit log, never the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field

from comity.domain.audit import AuditEvent
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.errors import NotFound
from comity.services.custody_ports import RecordWriter, RegionCustody
from comity.services.ports import Clock, UnitOfWork


@dataclass
class IngestReport:
    account_id: str
    kind: str
    source: str
    total: dict[str, int] = field(default_factory=dict)
    new: dict[str, int] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    ids_digest: str = ""

    def to_document(self) -> dict[str, object]:
        return {
            "account": self.account_id,
            "kind": self.kind,
            "source": self.source,
            "records": {
                c: {"total": n, "new": self.new.get(c, 0), "region": self.regions[c]}
                for c, n in sorted(self.total.items())
            },
            "warnings": len(self.warnings),
            "ids_digest": self.ids_digest,
        }

    def lines(self) -> list[str]:
        out = [
            f"{c}: {n} record(s), {self.new.get(c, 0)} new, in {self.regions[c]}"
            for c, n in sorted(self.total.items())
        ] or ["no records"]
        out += [f"warning: {w}" for w in self.warnings[:20]]
        if len(self.warnings) > 20:
            out.append(f"... and {len(self.warnings) - 20} more warning(s)")
        return out


def ingest(
    uow_factory: Callable[[], UnitOfWork],
    regions: Callable[[str], RegionCustody],
    account_id: str,
    records: Callable[[], Iterable[Record]],
    *,
    kind: str,
    source: str,
    actor: str,
    clock: Clock,
) -> IngestReport:
    """Seal and store ``records()`` of ``account_id``; refuse an unknown account first."""
    with uow_factory() as uow:
        account = uow.accounts.get(account_id)
    if account is None:
        raise NotFound(f"no account with id {account_id!r}")
    report = IngestReport(account_id, kind, source)
    ids = hashlib.sha256()
    with ExitStack() as stack:
        writers: dict[str, tuple[RegionCustody, RecordWriter]] = {}
        for record in records():
            region_id = account.region_for(record.category)
            if region_id not in writers:
                region = regions(region_id)
                writers[region_id] = (region, stack.enter_context(region.store.writer()))
            region, writer = writers[region_id]
            writer.put(region.seal(record))
            cat = record.category.value
            report.total[cat] = report.total.get(cat, 0) + 1
            report.regions[cat] = region_id
            ids.update(record.id.encode() + b"\n")
            if record.warning and record.category is Category.CONTENT:
                report.warnings.append(f"message {record.id}: {record.warning}")
        for _, writer in writers.values():
            writer.flush()
            for category, n in writer.inserted_by_category.items():
                report.new[category.value] = report.new.get(category.value, 0) + n
        report.ids_digest = "sha256:" + ids.hexdigest()
        with uow_factory() as uow:
            uow.audit.record(
                AuditEvent.of(
                    clock.now(),
                    actor,
                    "custody:ingested",
                    f"account/{account_id}",
                    report.to_document(),
                )
            )
            # Commit the regions first, then the control plane: a crash between the two leaves
            # data without its log entry, and re-running the ingest (same ids) logs it.
            stack.close()
            uow.commit()
    return report
