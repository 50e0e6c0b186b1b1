"""SQL implementation of the HI-1 object map, and a unit of work that carries it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from comity.adapters.audit.signing import NoteSigner
from comity.adapters.controlplane.etsi_tables import EtsiObjectRow
from comity.adapters.controlplane.productions_repo import SqlProductionUnitOfWork
from comity.services.etsi.ports import EtsiObject


def _object(row: EtsiObjectRow) -> EtsiObject:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return EtsiObject(
        row.authority_id,
        row.object_id,
        row.sender,
        row.receiver,
        row.kind,
        row.demand_id,
        row.transaction_id,
        row.action_id,
        row.reference,
        tuple(c for c in row.categories.split(",") if c),
        created,
    )


class SqlEtsiRepository:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, obj: EtsiObject) -> None:
        self._s.add(
            EtsiObjectRow(
                authority_id=obj.authority_id,
                object_id=obj.object_id,
                sender=obj.sender,
                receiver=obj.receiver,
                kind=obj.kind,
                demand_id=obj.demand_id,
                transaction_id=obj.transaction_id,
                action_id=obj.action_id,
                reference=obj.reference,
                categories=",".join(obj.categories),
                created_at=obj.created_at,
            )
        )
        self._s.flush()

    def get(self, authority_id: str, object_id: str) -> EtsiObject | None:
        row = self._s.get(EtsiObjectRow, (authority_id, object_id))
        return None if row is None else _object(row)

    def for_transaction(self, authority_id: str, transaction_id: str) -> Sequence[EtsiObject]:
        query = select(EtsiObjectRow).where(
            EtsiObjectRow.authority_id == authority_id,
            EtsiObjectRow.transaction_id == transaction_id,
        )
        return [_object(r) for r in self._s.scalars(query.order_by(EtsiObjectRow.action_id))]

    def for_demand(self, demand_id: str) -> Sequence[EtsiObject]:
        query = select(EtsiObjectRow).where(EtsiObjectRow.demand_id == demand_id)
        return [_object(r) for r in self._s.scalars(query.order_by(EtsiObjectRow.action_id))]


class SqlEtsiUnitOfWork(SqlProductionUnitOfWork):
    """Intake, cases, productions and the HI-1 object map on one session."""

    etsi: SqlEtsiRepository

    def __enter__(self) -> SqlEtsiUnitOfWork:
        super().__enter__()
        self.etsi = SqlEtsiRepository(self.session)
        return self


def etsi_uow_factory(
    engine: Engine, now: Callable[[], datetime], signer: NoteSigner | None = None
) -> Callable[[], SqlEtsiUnitOfWork]:
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    return lambda: SqlEtsiUnitOfWork(sessions, now, signer)
