"""SQL implementation of the productions repository, and a unit of work that carries it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from comity.adapters.audit.signing import NoteSigner
from comity.adapters.controlplane.intake_repo import SqlIntakeUnitOfWork
from comity.adapters.controlplane.production_tables import DownloadLinkRow, ProductionRow
from comity.errors import Conflict
from comity.services.production_ports import DownloadLink, Production


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


def _fill(row: ProductionRow, p: Production) -> None:
    row.demand_id, row.case_id, row.status, row.path = p.demand_id, p.case_id, p.status, p.path
    row.encrypted_path, row.sha256, row.size = p.encrypted_path, p.sha256, p.size
    row.record_count, row.produced_at, row.published_at = (
        p.record_count,
        p.produced_at,
        p.published_at,
    )
    row.authorization, row.created_by, row.custodian = p.authorization, p.created_by, p.custodian


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
