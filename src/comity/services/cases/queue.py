"""The review queue: cases the caller may see, the most urgent first, a page at a time.

The order is (next open deadline, receipt, id); cases without an open deadline come last. The
repository keeps that key in indexed columns, so a page is one indexed query whatever the number
of cases, and the next page continues after the last key shown (an opaque cursor) rather than
counting rows to skip. A requester sees only their agency's cases.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comity.domain import permissions
from comity.domain.registry import User
from comity.domain.workflow import Case, CaseState, Deadline
from comity.errors import InvalidInput
from comity.services.cases.access import CaseUowFactory
from comity.services.cases.ports import CaseFilter, QueueKey
from comity.services.ports import Clock

#: The most a page may hold; a caller asking for more is told so.
MAX_PAGE = 500


@dataclass(frozen=True)
class QueueItem:
    """One line of the queue: the case, its demand and what is due next."""

    case: Case
    demand_id: str | None
    next_deadline: Deadline | None
    overdue: int
    #: What the caller who listed the queue may do on this case now (the permission table).
    allowed: tuple[str, ...] = ()

    def to_document(self, *, internal: bool = True) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.case.case_id,
            "demand": self.demand_id,
            "reference": self.case.reference,
            "instrument": self.case.instrument,
            "state": self.case.state.value,
            "received_at": self.case.received_at.isoformat(),
        }
        if internal:
            d = self.next_deadline
            doc["next_deadline"] = None if d is None else d.model_dump(mode="json")
            doc["overdue"] = self.overdue
            doc["allowed_actions"] = list(self.allowed)
        return doc


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    #: Give it back as ``after`` for the next page; None when this page is the last.
    next: str | None


def queue_page(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    *,
    states: Iterable[str] | None = None,
    open_only: bool = False,
    emergency: bool | None = None,
    limit: int | None = None,
    after: str | None = None,
) -> QueuePage:
    """A page of the queue (every case when ``limit`` is None), after the cursor ``after``."""
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit: expected 1 to {MAX_PAGE} cases a page, got {limit}")
    key = None if after is None else decode_key(after)
    wanted = None if states is None else tuple(_states(states))
    if actor.is_staff:
        permissions.check(actor, permissions.Action.READ_INTERNAL)
    agency = None if actor.is_staff else actor.agency_id  # a requester: their agency's cases
    where = CaseFilter(wanted, open_only, agency, emergency)
    now = clock.now()
    with uow_factory() as uow:
        # One row more than asked tells whether there is a next page without counting.
        rows = uow.cases.page(where, None if limit is None else limit + 1, key)
    more = limit is not None and len(rows) > limit
    shown = rows[:limit] if more else rows
    items = [_line(actor, r.case, r.demand_id, now) for r in shown]
    return QueuePage(items, encode_key(shown[-1].key) if more else None)


def for_demands(
    uow_factory: CaseUowFactory, clock: Clock, actor: User, demand_ids: Iterable[str]
) -> dict[str, QueueItem]:
    """The queue lines of these demands' cases (one query), for a page of demands."""
    if actor.is_staff:
        permissions.check(actor, permissions.Action.READ_INTERNAL)
    agency = None if actor.is_staff else actor.agency_id  # a requester: their agency's cases
    now = clock.now()
    with uow_factory() as uow:
        found = uow.cases.for_demands(demand_ids, agency)
    return {demand: _line(actor, case, demand, now) for demand, case in found.items()}


def _line(actor: User, case: Case, demand_id: str | None, now: datetime) -> QueueItem:
    deadlines = sorted(case.deadlines(), key=lambda d: d.due_at)
    overdue = sum(1 for d in deadlines if d.due_at <= now)
    allowed = tuple(permissions.allowed_actions(actor, case))
    return QueueItem(case, demand_id, deadlines[0] if deadlines else None, overdue, allowed)


def _states(states: Iterable[str]) -> list[str]:
    names = list(states)
    valid = {s.value for s in CaseState}
    bad = [s for s in names if s not in valid]
    if bad:
        known = ", ".join(sorted(valid))
        raise InvalidInput(f"state: unknown state(s) {', '.join(bad)} (expected one of: {known})")
    return names


# --- cursors -----------------------------------------------------------------------------------


def encode(parts: list[str]) -> str:
    """An opaque cursor: the key of the last row shown, so the next page starts after it."""
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode(cursor: str, size: int, field: str = "after") -> list[str]:
    """The parts of a cursor this service gave out, or one sentence saying it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = json.loads(raw)
    except (binascii.Error, ValueError):
        parts = None
    if (
        not isinstance(parts, list)
        or len(parts) != size
        or not all(isinstance(p, str) for p in parts)
    ):
        raise InvalidInput(f"{field}: not a cursor this list gave out")
    return parts


def encode_key(key: QueueKey) -> str:
    return encode([key.next_due_at.isoformat(), key.received_at.isoformat(), key.case_id])


def decode_key(cursor: str) -> QueueKey:
    due, received, case_id = decode(cursor, 3)
    return QueueKey(_instant(due), _instant(received), case_id)


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput("after: not a cursor this list gave out") from None
    if value.tzinfo is None:
        raise InvalidInput("after: not a cursor this list gave out")
    return value
