"""Holding in place: a hold also preserves on the provider's own server, where a source can.

The snapshot in the region's encrypted store is what a hold relies on (``snapshots``); a source
that can also keep the held records on its own server (Dovecot: a hidden hold mailbox) does so on
top, for the provider's own tools and for an operator who wants the evidence where it was. A
refusal there does not undo the hold: the hold stands on its snapshot, the refusal goes on the
audit log, and the caller is told in one sentence (``HoldInPlaceFailed``) so the server can be
fixed. Each step on the server is an audit entry of its own, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.categories import Category
from comity.errors import ComityError
from comity.services.custody.source_ports import (
    AccountRef,
    HoldsInPlace,
    RecordSource,
    SourceUnavailable,
)
from comity.services.ports import AuditLog


class HoldInPlaceFailed(ComityError):
    """A source refused to keep a hold on its own server (or to drop it). The hold itself is
    placed (or released) in Comity; only the server-side copy is missing (or left behind)."""

    exit_code = 1
    http_status = 502
    code = "hold_in_place_failed"


def in_place_sources(sources: Sequence[RecordSource]) -> list[HoldsInPlace]:
    """The sources the operator asked to hold in place."""
    return [s for s in sources if isinstance(s, HoldsInPlace) and s.holds_in_place]


def hold_in_place(
    sources: Sequence[RecordSource],
    account: AccountRef,
    categories: Sequence[Category],
    *,
    hold_id: str,
    log: AuditLog,
    actor: str,
    now: datetime,
) -> list[str]:
    """Ask each holding source that keeps one of the held ``categories`` (a mail server: only
    for content) to keep ``account``'s records for ``hold_id``; audit every answer. Returns the
    refusals, one sentence each (empty when every source held)."""
    failures: list[str] = []
    for source in in_place_sources(sources):
        if not source.categories & set(categories):
            continue
        try:
            placed = source.hold_in_place(account, hold_id)
        except SourceUnavailable as exc:
            failures.append(exc.message)
            _audit(
                log,
                AuditAction.CUSTODY_HOLD_IN_PLACE_FAILED,
                source,
                exc,
                now=now,
                actor=actor,
                hold_id=hold_id,
            )
            continue
        log.record(
            AuditEvent.of(
                now,
                actor,
                AuditAction.CUSTODY_HELD_IN_PLACE,
                f"hold/{hold_id}",
                {
                    "source": source.name,
                    "account": account.account_id,
                    "held": [p.to_document() for p in placed],
                },
            )
        )
    return failures


def release_in_place(
    sources: Sequence[RecordSource],
    account: AccountRef,
    *,
    hold_id: str,
    log: AuditLog,
    actor: str,
    now: datetime,
) -> list[str]:
    """Ask each holding source to drop what it kept for ``hold_id``; audit every answer. Returns
    the refusals, one sentence each."""
    failures: list[str] = []
    for source in in_place_sources(sources):
        try:
            removed = source.release_in_place(account, hold_id)
        except SourceUnavailable as exc:
            failures.append(exc.message)
            _audit(
                log,
                AuditAction.CUSTODY_RELEASE_IN_PLACE_FAILED,
                source,
                exc,
                now=now,
                actor=actor,
                hold_id=hold_id,
            )
            continue
        log.record(
            AuditEvent.of(
                now,
                actor,
                AuditAction.CUSTODY_RELEASED_IN_PLACE,
                f"hold/{hold_id}",
                {"source": source.name, "account": account.account_id, "removed": removed},
            )
        )
    return failures


def _audit(
    log: AuditLog,
    action: AuditAction,
    source: HoldsInPlace,
    exc: SourceUnavailable,
    *,
    now: datetime,
    actor: str,
    hold_id: str,
) -> None:
    log.record(
        AuditEvent.of(
            now, actor, action, f"hold/{hold_id}", {"source": source.name, "error": exc.message}
        )
    )
