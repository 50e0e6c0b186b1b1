"""Ingest: write an account's records into the regions its placement names, and log it.

Each record goes to ``account.region_for(record.category)``, so a message's content lands in one
region and its traffic record perhaps in another (Microsoft Ireland: content in eu-ie, traffic in
us-west). Every region touched is written inside one open transaction; if the input turns out
to be bad halfway, all of them roll back and nothing is half-written. The control plane gets
only counts and a digest of the record ids on its audit log, never the data.

The regions and the control plane are separate databases, so no single transaction covers both.
The log is therefore written on both sides of the region commit: ``custody:ingest_started`` is
committed before any region is written, and ``custody:ingested`` (naming the start's index) after
the regions commit. A crash in between leaves a start with no end on the log, never data the log
does not mention; re-running the ingest (the same ids are idempotent) closes it. Bad input ends
the attempt with ``custody:ingest_failed`` and the reason.

An account that is being moved refuses ingest: a move deletes the source's records once its copy
is verified, so a record written at the source after the copy would be lost. The check runs
before writing and again inside the transaction that logs the end, just before the regions
commit; a move's start appends to the same log, whose tree state both lock, so one of the two
always sees the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field

from comity.domain.accounts import Account
from comity.domain.audit import AuditEvent
from comity.domain.categories import Category
from comity.domain.records import Record
from comity.errors import ComityError, Conflict, NotFound
from comity.services.custody.ports import RecordWriter, RegionCustody
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
        _refuse_if_moving(uow, account_id)
    report = IngestReport(account_id, kind, source)
    subject = f"account/{account_id}"
    started = _log(
        uow_factory,
        AuditEvent.of(
            clock.now(),
            actor,
            "custody:ingest_started",
            subject,
            {"account": account_id, "kind": kind, "source": source},
        ),
    )
    try:
        _write(
            uow_factory,
            regions,
            account,
            records,
            report=report,
            actor=actor,
            clock=clock,
            started=started,
        )
    except ComityError as exc:
        failure = {"started": started, "error": exc.message}
        _log(
            uow_factory,
            AuditEvent.of(clock.now(), actor, "custody:ingest_failed", subject, failure),
        )
        raise
    return report


def _log(uow_factory: Callable[[], UnitOfWork], event: AuditEvent) -> int:
    with uow_factory() as uow:
        index = uow.audit.record(event)
        uow.commit()
    return index


def _write(
    uow_factory: Callable[[], UnitOfWork],
    regions: Callable[[str], RegionCustody],
    account: Account,
    records: Callable[[], Iterable[Record]],
    *,
    report: IngestReport,
    actor: str,
    clock: Clock,
    started: int,
) -> None:
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
                    f"account/{account.id}",
                    {"started": started, **report.to_document()},
                )
            )
            _refuse_if_moving(uow, account.id)
            # The regions commit first, then the end entry: a crash between the two leaves a
            # start without an end on the log (see the module docstring).
            stack.close()
            uow.commit()


def _refuse_if_moving(uow: UnitOfWork, account_id: str) -> None:
    steps = uow.moves.unfinished(account_id)
    if steps:
        raise Conflict(
            f"account {account_id} is being moved to {steps[0].destination}; finish the move "
            f"with 'comity accounts move {account_id} --to {steps[0].destination}' and ingest again"
        )
