"""Warning before a deadline passes: each deadline entering its warning window, once per channel.

``run_notifier`` looks at every case's open deadlines (``case_due``), and for each one due within
the window (or already overdue and never warned about) sends one warning through each channel
that has not sent it yet. A send and its record (the alert row and the ``notify:sent`` audit
event) are written together right after the send; if that write fails the warning goes out again
on the next run (at least once, never silently dropped). A channel that fails is reported and
retried on the next run; the others still send.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from comity.domain.audit import AuditEvent
from comity.domain.registry import User
from comity.errors import ComityError
from comity.services.cases.due import due
from comity.services.cases.ports import CaseUnitOfWork
from comity.services.notify.ports import Alert, AlertLog, Notifier
from comity.services.ports import Clock


class NotifyFailed(ComityError):
    """A warning could not be delivered through a channel (it is retried on the next run)."""

    exit_code = 1
    http_status = 502
    code = "notify_failed"


@dataclass
class NotifyReport:
    sent: list[tuple[str, Alert, str]] = field(default_factory=list)
    already: int = 0
    failed: list[tuple[str, Alert, str]] = field(default_factory=list)


U = TypeVar("U", bound=CaseUnitOfWork)


def run_notifier(
    uow_factory: Callable[[], U],
    clock: Clock,
    actor: User,
    notifiers: Sequence[Notifier],
    alert_log: Callable[[U], AlertLog],
    *,
    window: timedelta,
) -> NotifyReport:
    """Send every warning now due (within ``window`` or overdue) that a channel has not sent."""
    report = NotifyReport()
    listing = due(uow_factory, clock, actor, within=window)
    alerts = [
        Alert(i.case_id, i.reference, i.deadline, listing.now)
        for i in [*listing.overdue, *listing.due_soon]
    ]
    for alert in alerts:
        for notifier in notifiers:
            uow = uow_factory()
            with uow:
                if alert_log(uow).was_sent(notifier.channel, alert.key):
                    report.already += 1
                    continue
            try:
                target = notifier.send(alert)
            except NotifyFailed as exc:
                report.failed.append((notifier.channel, alert, exc.message))
                continue
            uow = uow_factory()
            with uow:
                alert_log(uow).record(notifier.channel, alert, clock.now(), target)
                uow.audit.record(
                    AuditEvent.of(
                        clock.now(),
                        actor.id,
                        "notify:sent",
                        f"case/{alert.case_id}",
                        {**alert.to_document(), "channel": notifier.channel, "to": target},
                    )
                )
                uow.commit()
            report.sent.append((notifier.channel, alert, target))
    return report
