"""The SQL unit of work: one session, its repositories and the audit log.

It rolls back unless committed, so a change and its audit entry land together or not at all.
It also reads the clock once, on entry: ``now`` is the instant of the whole action, which the
services stamp on the record and on its audit entry alike (issue 12: they used to take two
readings, so a record and its log entry could disagree about when something happened).
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
    #: The action's one clock reading, taken on ``__enter__``.
    now: datetime

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
        self.now = self._now()
        self.session = self._session_factory()
        self.accounts = SqlAccountRepository(self.session, self._instant)
        self.audit = SqlMerkleLog(self.session, self._signer, self._instant)
        self.moves = SqlMoveJournal(self.session, self._instant)
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

    def _instant(self) -> datetime:
        """The repositories' clock: the unit's one reading, never a new one."""
        return self.now

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
