"""Holding in place: a hold also preserves on the provider's own server, where a source can.

The snapshot in the region's encrypted store is what a hold relies on (``snapshots``); a source
that can also keep the held records on its own server (Dovecot: a hidden hold mailbox) does so on
top, for the provider's own tools and for an operator who wants the evidence where it was. A
refusal there does not undo the hold: the hold stands on its snapshot, the refusal goes on the
audit log, and the caller is told in one sentence (``HoldInPlaceFailed``) so the server can be
fixed. The region's agent asks the sources (it alone holds their credentials, ADR 0014) and
answers with what each did; the control plane puts each answer on the audit log, in the case's
transaction (``InPlaceAnswer.audit``).
"""

from __future__ import annotations

from collections.abc import Sequence

from comity.domain.categories import Category
from comity.errors import ComityError
from comity.services.custody.hold_ports import (
    HELD,
    HOLD_FAILED,
    RELEASE_FAILED,
    RELEASED,
    InPlaceAnswer,
)
from comity.services.custody.source_ports import (
    AccountRef,
    HoldsInPlace,
    RecordSource,
    SourceUnavailable,
)


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
) -> list[InPlaceAnswer]:
    """Ask each holding source that keeps one of the held ``categories`` (a mail server: only
    for content) to keep ``account``'s records for ``hold_id``; one answer per source asked (the
    region's agent runs this; the control plane audits the answers)."""
    answers: list[InPlaceAnswer] = []
    for source in in_place_sources(sources):
        if not source.categories & set(categories):
            continue
        try:
            placed = source.hold_in_place(account, hold_id)
        except SourceUnavailable as exc:
            answers.append(
                InPlaceAnswer(source.name, account.account_id, HOLD_FAILED, error=exc.message)
            )
            continue
        answers.append(
            InPlaceAnswer(
                source.name,
                account.account_id,
                HELD,
                held=tuple(p.to_document() for p in placed),
            )
        )
    return answers


def release_in_place(
    sources: Sequence[RecordSource], account: AccountRef, *, hold_id: str
) -> list[InPlaceAnswer]:
    """Ask each holding source to drop what it kept for ``hold_id``; one answer per source."""
    answers: list[InPlaceAnswer] = []
    for source in in_place_sources(sources):
        try:
            removed = source.release_in_place(account, hold_id)
        except SourceUnavailable as exc:
            answers.append(
                InPlaceAnswer(source.name, account.account_id, RELEASE_FAILED, error=exc.message)
            )
            continue
        answers.append(
            InPlaceAnswer(source.name, account.account_id, RELEASED, removed=tuple(removed))
        )
    return answers
