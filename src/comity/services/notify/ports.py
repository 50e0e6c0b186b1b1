"""Ports of the notifier: where warnings go (e-mail, webhook) and what has been sent already."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from comity.domain.workflow import Deadline


@dataclass(frozen=True)
class Alert:
    """A warning that a deadline of a case is near (or has passed)."""

    case_id: str
    reference: str
    deadline: Deadline
    now: datetime

    @property
    def overdue(self) -> bool:
        return self.deadline.due_at <= self.now

    @property
    def key(self) -> str:
        """What makes a warning the same warning: one per deadline (a moved deadline is new)."""
        d = self.deadline
        return f"{d.kind}|{d.subject}|{d.due_at.isoformat()}"

    @property
    def subject_line(self) -> str:
        when = "OVERDUE" if self.overdue else "due"
        return f"[comity] {self.reference}: {self.deadline.kind} {when} {self._due()}"

    def _due(self) -> str:
        return self.deadline.due_at.isoformat(timespec="minutes")

    def text(self) -> str:
        d = self.deadline
        state = "is overdue since" if self.overdue else "falls due at"
        return (
            f"Case {self.case_id} ({self.reference}): {d.description}.\n"
            f"It {state} {self._due()} (UTC).\n"
            f"Law: {d.citation} (rule {d.rule}).\n"
            f"See: comity case show {self.case_id}\n"
        )

    def to_document(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "reference": self.reference,
            "overdue": self.overdue,
            "now": self.now.isoformat(),
            "deadline": self.deadline.model_dump(mode="json"),
        }


class Notifier(Protocol):
    """One channel warnings go through."""

    @property
    def channel(self) -> str:
        """A stable name for the channel (``smtp``, ``webhook``), part of what "sent once" means."""
        ...

    def send(self, alert: Alert) -> str:
        """Deliver ``alert``; return where it went, or raise ``NotifyFailed``."""
        ...


class AlertLog(Protocol):
    """What was sent, in the control plane, so each warning goes out once per channel."""

    def was_sent(self, channel: str, key: str) -> bool: ...

    def record(self, channel: str, alert: Alert, at: datetime, target: str) -> None: ...
