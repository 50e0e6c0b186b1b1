"""Ports for the console and portal: sessions, second factors, messages and the demand's trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from comity.domain.console import Message, TotpEnrolment, WebSession
from comity.services.intake.ports import IntakeRepository, IntakeUnitOfWork


@dataclass(frozen=True)
class TrailEntry:
    """One audit log entry about a subject, as stored (canonical JSON), with its index."""

    index: int
    entry: str
    action: str
    subject: str


class ConsoleRepository(Protocol):
    def get_totp(self, user_id: str) -> TotpEnrolment | None: ...

    def set_totp(self, enrolment: TotpEnrolment, at: datetime) -> None: ...

    def add_session(self, session: WebSession) -> None: ...

    def get_session(self, token_hash: str) -> WebSession | None: ...

    def delete_session(self, token_hash: str) -> None: ...

    def delete_expired_sessions(self, user_id: str, now: datetime) -> int: ...

    def add_message(
        self, demand_id: str, author_id: str, from_staff: bool, body: str, at: datetime
    ) -> Message: ...

    def list_messages(self, demand_id: str) -> Sequence[Message]: ...

    def trail(self, subjects: Sequence[str]) -> Sequence[TrailEntry]: ...


class ConsoleUnitOfWork(IntakeUnitOfWork, Protocol):
    """The intake unit of work with the console repository on the same transaction."""

    @property
    def intake(self) -> IntakeRepository: ...

    @property
    def console(self) -> ConsoleRepository: ...

    def __enter__(self) -> ConsoleUnitOfWork: ...
