"""Preservation as a snapshot: a hold copies the records in scope from the region's live sources
into the region's encrypted Comity store at the moment of the hold.

A hold marker alone keeps only what Comity already holds; when the mail lives on the provider's
IMAP server, a customer (or an expiry policy) can still delete it there. So placing a hold reads
the held account's categories from every source of the region (no period: a hold freezes the
account, the demand's period is applied at production) and seals each record into the region's
store, where the marker then forbids its deletion. The audit entry ``custody:snapshot`` commits
to each record's id and SHA-256 (its digest covers the list; the list is recomputable from the
store), in the same transaction as the hold itself. The region's agent takes the snapshot (it
alone holds the sources' credentials, ADR 0014) and reports it; the control plane writes the
entry. A production then reads the live source first and the snapshot for what the source no
longer has (``services.productions.agent``).

Legal basis: 18 U.S.C. 2703(f) requires the provider to "take all necessary steps to preserve
records and other evidence in its possession"; Reg. (EU) 2023/1543 Art. 11 requires the data to
be preserved "without undue delay". Neither is met by a marker on a copy that does not exist.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.categories import Category
from comity.errors import IntegrityError
from comity.services.custody.ports import RegionCustody
from comity.services.custody.source_ports import AccountRef, RecordSource
from comity.services.ports import AuditLog

#: The live sources of a region (none: Comity's store is the region's only source).
RegionSources = Callable[[str], Sequence[RecordSource]]

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass
class Snapshot:
    """What a hold copied: per source, how many records; each record's id and SHA-256."""

    hold_id: str
    region: str
    account: str
    taken_at: datetime
    counts: dict[str, int] = field(default_factory=dict)
    records: list[tuple[str, str]] = field(default_factory=list)

    def to_document(self) -> dict[str, Any]:
        return {
            "hold": self.hold_id,
            "region": self.region,
            "account": self.account,
            "taken_at": self.taken_at.isoformat(),
            "counts": self.counts,
            "records": [{"id": i, "sha256": d} for i, d in self.records],
        }

    @staticmethod
    def from_document(doc: Any) -> Snapshot:
        """A snapshot as the region's agent reported it; ``IntegrityError`` if it is not one
        (the control plane writes only a well-formed report on the log)."""
        try:
            records = [(str(r["id"]), str(r["sha256"])) for r in doc["records"]]
            counts = {str(k): int(v) for k, v in doc["counts"].items()}
            taken_at = datetime.fromisoformat(doc["taken_at"])
            snap = Snapshot(
                str(doc["hold"]), str(doc["region"]), str(doc["account"]), taken_at, counts, records
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise IntegrityError("the region's snapshot report is not a snapshot") from None
        if taken_at.tzinfo is None or sum(counts.values()) != len(records):
            raise IntegrityError("the region's snapshot report does not add up")
        if not all(_SHA256.fullmatch(d) for _, d in records):
            raise IntegrityError("the region's snapshot report has a digest that is not SHA-256")
        return snap

    def audit(self, log: AuditLog, actor: str) -> None:
        log.record(
            AuditEvent.of(
                self.taken_at,
                actor,
                AuditAction.CUSTODY_SNAPSHOT,
                f"hold/{self.hold_id}",
                self.to_document(),
            )
        )


def take_snapshot(
    custody: RegionCustody,
    sources: Sequence[RecordSource],
    account: AccountRef,
    categories: Sequence[Category],
    *,
    hold_id: str,
    now: datetime,
) -> Snapshot:
    """Copy ``account``'s ``categories`` from every source into the region store (committed when
    this returns; a record already there is kept as it is). A source failure raises
    ``SourceUnavailable`` and commits nothing, so the caller places no hold on a partial copy."""
    snap = Snapshot(hold_id, custody.region_id, account.account_id, now)
    with custody.store.writer() as writer:
        for source in sources:
            wanted = [c for c in categories if c in source.categories]
            if not wanted:
                continue
            n = 0
            for record in source.iter_records(account, wanted, None, None):
                writer.put(custody.seal(record))
                snap.records.append((record.id, hashlib.sha256(record.body).hexdigest()))
                n += 1
            snap.counts[source.name] = n
        writer.flush()
    return snap
