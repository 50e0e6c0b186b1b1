"""Ports for durable production parts: a region's share of a production, run as a job in that
region's own database by that region's agent (ADR 0012).

A *part* is the region's records under one signed authorization, read, checked and decrypted by
the agent, and kept **sealed under the region's keyring** in the region's own directory until the
control plane fetches it through the agent. The control plane sees only its status and, when
every region's part is done, the records of each part streamed by its agent, in the same order
the in-process agent yields them, so the package has the same bytes either way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from comity.domain.authorization import SignedAuthorization
from comity.domain.records import Record

#: A part's life: queued, running, retrying (an attempt failed and a later one is scheduled),
#: done (sealed on disk, ready to fetch), failed (no attempt left, or refused: the reason says).
PART_STATES = ("queued", "running", "retrying", "done", "failed")
#: What the control plane reports for a region it cannot ask, or one read in-process.
UNREACHABLE = "unreachable"
IN_PROCESS = "in-process"


@dataclass(frozen=True)
class PartStatus:
    """Where one region's part of one production stands."""

    region: str
    authorization_id: str
    state: str
    attempts: int = 0
    reason: str | None = None
    records: int | None = None
    size: int | None = None
    updated_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def failed(self) -> bool:
        return self.state == "failed"

    def to_document(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "authorization": self.authorization_id,
            "state": self.state,
            "attempts": self.attempts,
            "reason": self.reason,
            "records": self.records,
            "bytes": self.size,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }

    @staticmethod
    def from_document(doc: dict[str, Any]) -> PartStatus:
        def moment(value: object) -> datetime | None:
            return datetime.fromisoformat(value) if isinstance(value, str) else None

        return PartStatus(
            region=str(doc["region"]),
            authorization_id=str(doc["authorization"]),
            state=str(doc["state"]),
            attempts=int(doc.get("attempts") or 0),
            reason=doc.get("reason"),
            records=doc.get("records"),
            size=doc.get("bytes"),
            updated_at=moment(doc.get("updated_at")),
            expires_at=moment(doc.get("expires_at")),
        )


class RegionParts(Protocol):
    """The control plane's view of one region's durable parts (its agent over the network)."""

    @property
    def region_id(self) -> str: ...

    def submit(self, signed: SignedAuthorization) -> PartStatus | None:
        """Queue the region's part (idempotent: a queued, running or done part is left as it
        is, a failed one is queued again); None if the agent keeps no queue (a SQLite region),
        so the production reads that region in one stream as before. Refusals (signature,
        expiry, region, the law now) raise before anything is queued."""
        ...

    def status(self, authorization_id: str) -> PartStatus:
        """The part's status; ``NotFound`` if the region never queued it."""
        ...

    def records(self, signed: SignedAuthorization) -> Iterator[Record]:
        """A done part's records, decrypted by the agent after it checks the authorization and
        the law once more; ``Conflict`` if the part is not done."""
        ...


class PartLedger(Protocol):
    """The parts' status rows, in the region's own database."""

    def get(self, authorization_id: str) -> PartStatus | None: ...

    def put(self, status: PartStatus) -> None: ...

    def expired(self, now: datetime) -> list[PartStatus]:
        """Parts whose authorization has expired: nothing may fetch them any more."""
        ...

    def remove(self, authorization_id: str) -> None: ...


class PartStore(Protocol):
    """Sealed part files in the region's own directory."""

    def write(self, authorization_id: str, records: Iterable[Record]) -> tuple[int, int]:
        """Seal ``records`` under the region's keyring into the part's file (written beside it
        and renamed, so a killed run leaves no partial part); return (records, body bytes)."""
        ...

    def exists(self, authorization_id: str) -> bool: ...

    def read(self, authorization_id: str) -> Iterator[Record]:
        """The part's records, opened with the region's keyring; ``IntegrityError`` if the
        file was changed or cut."""
        ...

    def remove(self, authorization_id: str) -> None: ...
