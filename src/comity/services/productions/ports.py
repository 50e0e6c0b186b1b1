"""Ports for productions: the regional agent, the package writer, and the productions table.

The regional agent is the only component that opens a region's records: the control plane hands
it a signed authorization and receives the decrypted records it covers, nothing else. It runs
in-process (``services.productions.agent.LocalRegionAgent``) or as its own process behind HTTP
(``comity agent``); both implement ``RegionAgent``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from comity.domain.authorization import Authorization, SignedAuthorization
from comity.domain.demand import Period
from comity.domain.records import Record
from comity.services.cases.ports import CaseUnitOfWork


class RegionAgent(Protocol):
    """Releases the records a signed authorization covers in one region."""

    @property
    def region_id(self) -> str: ...

    def release(self, signed: SignedAuthorization) -> Iterator[Record]:
        """Check the authorization (signature, expiry, region, the law as of now) before the
        first record, then yield the covered records decrypted, region order, oldest first.

        Raises ``IntegrityError`` (bad signature, expired, other region) or ``Forbidden`` (the
        law engine's answer changed, or the demand is now blocked) before yielding anything.
        """
        ...


#: Checks an authorization's signature against the control plane's key, its expiry at ``now``
#: and that it covers ``region``; returns it or raises ``IntegrityError``.
AuthorizationVerifier = Callable[[SignedAuthorization, datetime, str], Authorization]


@dataclass(frozen=True)
class LawAnswer:
    """What the law engine says about a demand today: each (account, category, region)'s
    pathway, and whether intake now blocks disclosure at all."""

    pathways: dict[tuple[str, str, str], str]
    blocked_reason: str | None
    as_of: str


class LawRecheck(Protocol):
    def answer(self, demand_id: str, now: datetime) -> LawAnswer: ...


@dataclass(frozen=True)
class PackageFacts:
    """What the package says about the demand and who certifies it; fixed per production so a
    re-run gives the same bytes."""

    reference: str
    authority: str
    period: Period | None
    custodian_name: str
    custodian_title: str
    provider: str
    produced_at: datetime
    #: The issuing authority's country (ISO 3166 alpha-2): which evidence law the certificate of
    #: authenticity follows.
    authority_country: str = ""


@dataclass(frozen=True)
class WrittenPackage:
    path: Path
    sha256: str
    size: int
    record_count: int
    authorization_id: str


class PackageWriter(Protocol):
    def write(
        self,
        out: Path,
        signed: SignedAuthorization,
        facts: PackageFacts,
        records: Iterable[tuple[str, Iterable[Record]]],
    ) -> WrittenPackage:
        """Write and publish (rename) the package; ``Conflict`` if ``out`` exists."""
        ...

    def inspect(self, path: Path) -> WrittenPackage:
        """Verify a published package (every hash and signature); ``IntegrityError`` if not."""
        ...

    def check_recipients(self, recipients: list[str]) -> None:
        """``InvalidInput`` naming a recipient that is not a public key of the format."""
        ...

    def encrypt(self, path: Path, recipients: list[str], out: Path) -> Path: ...

    def clean(self, out: Path) -> None:
        """Remove what a run of ``out`` left in staging (decrypted records), unless it runs."""
        ...

    def sweep(self, directory: Path) -> list[Path]:
        """Remove every staging directory in ``directory`` a stopped run left; return them."""
        ...


@dataclass(frozen=True)
class Production:
    """One production of one case: started (``producing``), then ``published``; ``failed`` with
    its reason when writing it went wrong (a retry resumes it), ``abandoned`` with its reason when
    it will never be published (its authorization expired, or the case left production)."""

    id: str
    demand_id: str
    case_id: str
    status: str  # producing | published | failed | abandoned
    path: str
    produced_at: datetime
    authorization: str  # the signed authorization's file form (canonical JSON)
    created_by: str
    custodian: str
    sha256: str | None = None
    size: int | None = None
    record_count: int | None = None
    published_at: datetime | None = None
    encrypted_path: str | None = None
    reason: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "demand": self.demand_id,
            "case": self.case_id,
            "status": self.status,
            "reason": self.reason,
            "path": self.path,
            "sha256": self.sha256,
            "size": self.size,
            "record_count": self.record_count,
            "produced_at": self.produced_at.isoformat(),
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "encrypted": self.encrypted_path is not None,
            "created_by": self.created_by,
        }


@dataclass(frozen=True)
class DownloadLink:
    id: str
    token_hash: str
    production_id: str
    agency_id: str | None
    created_by: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ProductionClaim:
    """Who is producing a case right now: the row one production holds in the control-plane
    database while it runs, so two processes (or two hosts) never produce one case at once."""

    case_id: str
    token: str
    host: str
    pid: int
    claimed_at: datetime
    heartbeat_at: datetime
    production_id: str | None = None

    def describe(self) -> str:
        running = self.production_id or "a production still starting"
        return f"{running} on {self.host} (pid {self.pid}), started {self.claimed_at.isoformat()}"


class ProductionRepository(Protocol):
    def add(self, production: Production) -> None: ...

    def get(self, production_id: str) -> Production | None: ...

    def update(self, production: Production) -> None: ...

    def for_case(self, case_id: str) -> Sequence[Production]: ...

    def for_demand(self, demand_id: str) -> Sequence[Production]: ...

    def add_link(self, link: DownloadLink) -> None: ...

    def link_by_token_hash(self, token_hash: str) -> DownloadLink | None: ...

    def claim(self, claim: ProductionClaim) -> ProductionClaim | None:
        """Insert ``claim`` for its case; None if it is now held, else the claim already held."""
        ...

    def take_over(self, stale_token: str, claim: ProductionClaim) -> bool:
        """Replace the claim whose token is ``stale_token`` by ``claim`` (compare-and-swap);
        False if someone else changed it first."""
        ...

    def refresh_claim(self, claim: ProductionClaim) -> bool:
        """Store ``claim``'s heartbeat and production id if its token still holds the case."""
        ...

    def release_claim(self, case_id: str, token: str) -> None:
        """Remove the case's claim if ``token`` still holds it."""
        ...


class ProductionUnitOfWork(CaseUnitOfWork, Protocol):
    @property
    def productions(self) -> ProductionRepository: ...

    def __enter__(self) -> ProductionUnitOfWork: ...


ProductionUowFactory = Callable[[], ProductionUnitOfWork]
