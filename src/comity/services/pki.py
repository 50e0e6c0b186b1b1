"""The deployment CA's acts, on the record: creating the CA and issuing each certificate.

Why log them: a certificate is what lets a host act as the control plane or as a region's agent,
so who issued which (serial, role, expiry, fingerprint) belongs on the tamper-evident log beside
key rotations. No key material is logged.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from comity.domain.audit import AuditAction, AuditEvent
from comity.services.ports import Clock, UnitOfWork


def on_the_record(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    *,
    actor: str,
    action: AuditAction,
    subject: str,
    act: Callable[[datetime], dict[str, Any]],
) -> dict[str, Any]:
    """Run ``act`` at one clock reading and log the facts it returns under ``action``."""
    now = clock.now()
    facts = act(now)
    with uow_factory() as uow:
        uow.audit.record(AuditEvent.of(now, actor, action, subject, facts))
        uow.commit()
    return facts
