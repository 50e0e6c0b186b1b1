"""The SQL unit of work: one session, its repositories and the audit log.

It rolls back unless committed, so a change and its audit entry land together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from comity.adapters.audit.signing import NoteSigner
from comity.adapters.audit.sql_log import SqlMerkleLog
from comity.adapters.controlplane.accounts_repo import SqlAccountRepository
from comity.adapters.controlplane.moves_repo import SqlMoveJournal


class SqlUnitOfWork:
    session: Session
    accounts: SqlAccountRepository
    audit: SqlMerkleLog
    moves: SqlMoveJournal

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        now: Callable[[], datetime],
        signer: NoteSigner | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._now = now
        self._signer = signer

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._session_factory()
        self.accounts = SqlAccountRepository(self.session, self._now)
        self.audit = SqlMerkleLog(self.session, self._signer, self._now)
        self.moves = SqlMoveJournal(self.session, self._now)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Anything not committed explicitly is rolled back: a failed audit append undoes the change.
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


def uow_factory(
    engine: Engine, now: Callable[[], datetime], signer: NoteSigner | None = None
) -> Callable[[], SqlUnitOfWork]:
    """Units of work on ``engine``; with ``signer`` each commit that appended signs a checkpoint."""
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    return lambda: SqlUnitOfWork(sessions, now, signer)
