"""Ports: the interfaces services need, implemented by adapters and wired in ``bootstrap``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from comity.domain.accounts import Account, Selector
from comity.domain.audit import AuditEvent
from comity.services.custody.ports import MoveJournal


class Clock(Protocol):
    """Where "now" comes from; the domain and the law engine never read the clock themselves."""

    def now(self) -> datetime: ...


class AuditLog(Protocol):
    """The tamper-evident log, written inside the caller's transaction (architecture, 5)."""

    def record(self, event: AuditEvent) -> int:
        """Append ``event``; return its index. Rolls back with the transaction that wrote it."""
        ...


class AccountRepository(Protocol):
    def add(self, account: Account) -> None: ...

    def get(self, account_id: str) -> Account | None: ...

    def list(self) -> Sequence[Account]: ...

    def find_by_selector(self, selector: Selector) -> Account | None: ...

    def update(self, account: Account) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over the control plane: repositories plus the audit log, all or nothing."""

    @property
    def now(self) -> datetime:
        """The action's instant: the clock read once when the unit was entered. Stamp it on the
        record and on its audit entry alike, never a second reading."""
        ...

    @property
    def accounts(self) -> AccountRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def moves(self) -> MoveJournal:
        """The journal of account moves, on the same transaction."""
        ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
