"""SQL implementation of the console repository, and a unit of work that carries it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from comity.adapters.audit.signing import NoteSigner
from comity.adapters.controlplane.console_tables import MessageRow, SessionRow, TotpRow
from comity.adapters.controlplane.intake_repo import SqlIntakeUnitOfWork, _aware
from comity.adapters.controlplane.tables import AuditEntryRow
from comity.adapters.controlplane.totp_seal import TotpSealer
from comity.domain.console import Message, TotpEnrolment, WebSession
from comity.errors import ConfigurationError
from comity.services.console_ports import TrailEntry

#: A demand's trail on one page; older entries are still in the log and in ``comity audit``.
TRAIL_LIMIT = 500


class SqlConsoleRepository:
    def __init__(self, session: Session, sealer: TotpSealer | None = None) -> None:
        self._s = session
        self._sealer = sealer

    def _open(self, row: TotpRow) -> str:
        if self._sealer is None:
            raise ConfigurationError("this unit of work was built without the console TOTP key")
        return self._sealer.open(row.user_id, row.secret)

    def get_totp(self, user_id: str) -> TotpEnrolment | None:
        row = self._s.get(TotpRow, user_id)
        return None if row is None else TotpEnrolment(row.user_id, self._open(row), row.last_step)

    def set_totp(self, enrolment: TotpEnrolment, at: datetime) -> None:
        row = self._s.get(TotpRow, enrolment.user_id)
        if row is None:
            row = TotpRow(user_id=enrolment.user_id, enrolled_at=at)
            self._s.add(row)
        elif self._open(row) != enrolment.secret:
            row.enrolled_at = at
        if self._sealer is None:
            raise ConfigurationError("this unit of work was built without the console TOTP key")
        row.secret = self._sealer.seal(enrolment.user_id, enrolment.secret)
        row.last_step = enrolment.last_step
        self._s.flush()

    def add_session(self, session: WebSession) -> None:
        self._s.add(
            SessionRow(
                token_hash=session.token_hash,
                user_id=session.user_id,
                csrf=session.csrf,
                created_at=session.created_at,
                expires_at=session.expires_at,
            )
        )
        self._s.flush()

    def get_session(self, token_hash: str) -> WebSession | None:
        row = self._s.get(SessionRow, token_hash)
        if row is None:
            return None
        return WebSession(
            row.token_hash, row.user_id, row.csrf, _aware(row.created_at), _aware(row.expires_at)
        )

    def delete_session(self, token_hash: str) -> None:
        row = self._s.get(SessionRow, token_hash)
        if row is not None:
            self._s.delete(row)
            self._s.flush()

    def delete_expired_sessions(self, user_id: str, now: datetime) -> int:
        result = self._s.execute(
            delete(SessionRow).where(SessionRow.user_id == user_id, SessionRow.expires_at <= now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def add_message(
        self, demand_id: str, author_id: str, from_staff: bool, body: str, at: datetime
    ) -> Message:
        row = MessageRow(
            demand_id=demand_id,
            author_id=author_id,
            from_staff=from_staff,
            body=body,
            created_at=at,
        )
        self._s.add(row)
        self._s.flush()
        return _message(row)

    def list_messages(self, demand_id: str) -> Sequence[Message]:
        rows = self._s.scalars(
            select(MessageRow).where(MessageRow.demand_id == demand_id).order_by(MessageRow.id)
        )
        return [_message(r) for r in rows]

    def trail(self, subjects: Sequence[str]) -> Sequence[TrailEntry]:
        rows = self._s.execute(
            select(
                AuditEntryRow.idx, AuditEntryRow.entry, AuditEntryRow.action, AuditEntryRow.subject
            )
            .where(AuditEntryRow.subject.in_(list(subjects)))
            .order_by(AuditEntryRow.idx)
            .limit(TRAIL_LIMIT)
        )
        return [TrailEntry(r.idx, r.entry, r.action, r.subject) for r in rows]


def _message(row: MessageRow) -> Message:
    return Message(
        row.id, row.demand_id, row.author_id, row.from_staff, row.body, _aware(row.created_at)
    )


class SqlConsoleUnitOfWork(SqlIntakeUnitOfWork):
    """The intake unit of work plus the console repository, on the same session."""

    console: SqlConsoleRepository
    sealer: TotpSealer | None = None

    def __enter__(self) -> SqlConsoleUnitOfWork:
        super().__enter__()
        self.console = SqlConsoleRepository(self.session, self.sealer)
        return self


def console_uow_factory(
    engine: Engine,
    now: Callable[[], datetime],
    signer: NoteSigner | None = None,
    sealer: TotpSealer | None = None,
) -> Callable[[], SqlConsoleUnitOfWork]:
    """Console units of work; ``sealer`` opens and seals TOTP secrets (none: TOTP refused)."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)

    def make() -> SqlConsoleUnitOfWork:
        uow = SqlConsoleUnitOfWork(sessions, now, signer)
        uow.sealer = sealer
        return uow

    return make
