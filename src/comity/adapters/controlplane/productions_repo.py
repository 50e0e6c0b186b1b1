"""SQL implementation of the productions repository, and a unit of work that carries it."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError as SqlIntegrityError
from sqlalchemy.orm import Session, sessionmaker

from comity.adapters.audit.signing import NoteSigner
from comity.adapters.controlplane.intake_repo import SqlIntakeUnitOfWork
from comity.adapters.controlplane.production_tables import (
    DownloadLinkRow,
    ProductionClaimRow,
    ProductionRow,
)
from comity.errors import Conflict
from comity.services.productions.ports import DownloadLink, Production, ProductionClaim


def this_process() -> tuple[str, int]:
    """This process as a production claim names it: the host name and the process id."""
    return socket.gethostname(), os.getpid()


def process_alive(host: str, pid: int) -> bool | None:
    """Whether the claim holder ``pid`` on ``host`` still runs: known on this host only (None
    for another host, whose claim is judged by its heartbeat)."""
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    return True


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SqlProductionRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, production: Production) -> None:
        if self._s.get(ProductionRow, production.id) is not None:
            raise Conflict(f"production {production.id} already exists")
        row = ProductionRow(id=production.id)
        _fill(row, production)
        self._s.add(row)
        self._s.flush()

    def update(self, production: Production) -> None:
        row = self._s.get(ProductionRow, production.id)
        if row is None:
            raise KeyError(production.id)
        _fill(row, production)
        self._s.flush()

    def get(self, production_id: str) -> Production | None:
        row = self._s.get(ProductionRow, production_id)
        return None if row is None else _production(row)

    def for_case(self, case_id: str) -> Sequence[Production]:
        query = select(ProductionRow).where(ProductionRow.case_id == case_id)
        return [_production(r) for r in self._s.scalars(query.order_by(ProductionRow.produced_at))]

    def for_demand(self, demand_id: str) -> Sequence[Production]:
        query = select(ProductionRow).where(ProductionRow.demand_id == demand_id)
        return [_production(r) for r in self._s.scalars(query.order_by(ProductionRow.produced_at))]

    def add_link(self, link: DownloadLink) -> None:
        self._s.add(
            DownloadLinkRow(
                id=link.id,
                token_hash=link.token_hash,
                production_id=link.production_id,
                agency_id=link.agency_id,
                created_by=link.created_by,
                created_at=link.created_at,
                expires_at=link.expires_at,
            )
        )
        self._s.flush()

    def link_by_token_hash(self, token_hash: str) -> DownloadLink | None:
        row = self._s.scalars(
            select(DownloadLinkRow).where(DownloadLinkRow.token_hash == token_hash)
        ).one_or_none()
        if row is None:
            return None
        return DownloadLink(
            row.id,
            row.token_hash,
            row.production_id,
            row.agency_id,
            row.created_by,
            _aware(row.created_at),
            _aware(row.expires_at),
        )

    # --- the claim: one running production per case -------------------------------------
    # Plain INSERT and compare-and-swap UPDATE: both databases make the first writer win
    # (SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL's primary key refuses the
    # second insert and its row lock orders the updates), with no lock held between statements.

    def claim(self, claim: ProductionClaim) -> ProductionClaim | None:
        held = self._s.get(ProductionClaimRow, claim.case_id, populate_existing=True)
        if held is not None:
            return _claim(held)
        self._s.add(
            ProductionClaimRow(
                case_id=claim.case_id,
                token=claim.token,
                production_id=claim.production_id,
                host=claim.host,
                pid=claim.pid,
                claimed_at=claim.claimed_at,
                heartbeat_at=claim.heartbeat_at,
            )
        )
        try:
            self._s.flush()
        except SqlIntegrityError:
            # Another process inserted between our read and our insert: it holds the case.
            self._s.rollback()
            held = self._s.get(ProductionClaimRow, claim.case_id, populate_existing=True)
            if held is None:
                raise Conflict(
                    f"the claim on case {claim.case_id} changed meanwhile; run produce again"
                ) from None
            return _claim(held)
        return None

    def take_over(self, stale_token: str, claim: ProductionClaim) -> bool:
        result = self._s.execute(
            update(ProductionClaimRow)
            .where(
                ProductionClaimRow.case_id == claim.case_id,
                ProductionClaimRow.token == stale_token,
            )
            .values(
                token=claim.token,
                production_id=claim.production_id,
                host=claim.host,
                pid=claim.pid,
                claimed_at=claim.claimed_at,
                heartbeat_at=claim.heartbeat_at,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def refresh_claim(self, claim: ProductionClaim) -> bool:
        result = self._s.execute(
            update(ProductionClaimRow)
            .where(
                ProductionClaimRow.case_id == claim.case_id,
                ProductionClaimRow.token == claim.token,
            )
            .values(heartbeat_at=claim.heartbeat_at, production_id=claim.production_id)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0) == 1)

    def release_claim(self, case_id: str, token: str) -> None:
        self._s.execute(
            delete(ProductionClaimRow)
            .where(ProductionClaimRow.case_id == case_id, ProductionClaimRow.token == token)
            .execution_options(synchronize_session=False)
        )


def _claim(row: ProductionClaimRow) -> ProductionClaim:
    return ProductionClaim(
        case_id=row.case_id,
        token=row.token,
        host=row.host,
        pid=row.pid,
        claimed_at=_aware(row.claimed_at),
        heartbeat_at=_aware(row.heartbeat_at),
        production_id=row.production_id,
    )


def _fill(row: ProductionRow, p: Production) -> None:
    row.demand_id, row.case_id, row.status, row.path = p.demand_id, p.case_id, p.status, p.path
    row.encrypted_path, row.sha256, row.size = p.encrypted_path, p.sha256, p.size
    row.record_count, row.produced_at, row.published_at = (
        p.record_count,
        p.produced_at,
        p.published_at,
    )
    row.authorization, row.created_by, row.custodian = p.authorization, p.created_by, p.custodian
    row.reason = p.reason


def _production(row: ProductionRow) -> Production:
    return Production(
        id=row.id,
        demand_id=row.demand_id,
        case_id=row.case_id,
        status=row.status,
        path=row.path,
        produced_at=_aware(row.produced_at),
        authorization=row.authorization,
        created_by=row.created_by,
        custodian=row.custodian,
        sha256=row.sha256,
        size=row.size,
        record_count=row.record_count,
        published_at=_aware(row.published_at) if row.published_at else None,
        encrypted_path=row.encrypted_path,
        reason=row.reason,
    )


class SqlProductionUnitOfWork(SqlIntakeUnitOfWork):
    """The intake and case unit of work plus the productions repository, on one session."""

    productions: SqlProductionRepository

    def __enter__(self) -> SqlProductionUnitOfWork:
        super().__enter__()
        self.productions = SqlProductionRepository(self.session)
        return self


def production_uow_factory(
    engine: Engine, now: Callable[[], datetime], signer: NoteSigner | None = None
) -> Callable[[], SqlProductionUnitOfWork]:
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    return lambda: SqlProductionUnitOfWork(sessions, now, signer)
