"""The review queue: cases the caller may see, the most urgent first, a page at a time.

The order is (next open deadline, receipt, id); cases without an open deadline come last. The
repository keeps that key in indexed columns, so a page is one indexed query whatever the number
of cases, and the next page continues after the last key shown (an opaque cursor) rather than
counting rows to skip. A requester sees only their agency's cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comity.domain import permissions
from comity.domain.registry import User
from comity.domain.workflow import Case, CaseState, Deadline, WaitingOn, waiting_on
from comity.errors import InvalidInput
from comity.services import paging
from comity.services.cases.access import CaseUowFactory
from comity.services.cases.ports import CaseFilter, QueueKey, QueueLineRow
from comity.services.ports import Clock

#: The most a page may hold (every list's bound, ``services.paging``).
MAX_PAGE = paging.MAX_PAGE


@dataclass(frozen=True)
class QueueLine:
    """What a queue line shows: the case's identity and state, whom it waits on, what is due
    next, how many deadlines have passed and what the caller may do.

    The API's queue builds it from the indexed copies (``queue_lines``) without decoding the
    case document; ``QueueItem.line`` builds it from the document. The two must be equal.
    """

    case_id: str
    demand_id: str | None
    reference: str
    instrument: str
    state: str
    received_at: datetime
    waiting_on: str
    next_deadline: Deadline | None
    overdue: int
    allowed: tuple[str, ...] = ()

    def to_document(self, *, internal: bool = True) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.case_id,
            "demand": self.demand_id,
            "reference": self.reference,
            "instrument": self.instrument,
            "state": self.state,
            "received_at": self.received_at.isoformat(),
        }
        if internal:
            doc["waiting_on"] = self.waiting_on
            d = self.next_deadline
            doc["next_deadline"] = None if d is None else d.model_dump(mode="json")
            doc["overdue"] = self.overdue
            doc["allowed_actions"] = list(self.allowed)
        return doc


@dataclass(frozen=True)
class QueueItem:
    """One line of the queue with the whole case, for callers that show more of it."""

    case: Case
    demand_id: str | None
    next_deadline: Deadline | None
    overdue: int
    #: What the caller who listed the queue may do on this case now (the permission table).
    allowed: tuple[str, ...] = ()

    @property
    def waiting_on(self) -> str:
        """Whom the case waits on (``comity.domain.workflow.waiting_on``)."""
        return waiting_on(self.case).value

    @property
    def line(self) -> QueueLine:
        c = self.case
        return QueueLine(
            case_id=c.case_id,
            demand_id=self.demand_id,
            reference=c.reference,
            instrument=c.instrument,
            state=c.state.value,
            received_at=c.received_at,
            waiting_on=self.waiting_on,
            next_deadline=self.next_deadline,
            overdue=self.overdue,
            allowed=self.allowed,
        )

    def to_document(self, *, internal: bool = True) -> dict[str, Any]:
        return self.line.to_document(internal=internal)


QueuePage = paging.Page[QueueItem]


def queue_page(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    *,
    states: Iterable[str] | None = None,
    open_only: bool = False,
    emergency: bool | None = None,
    waiting: Iterable[str] | None = None,
    limit: int | None = None,
    after: str | None = None,
) -> QueuePage:
    """A page of the queue (every case when ``limit`` is None), after the cursor ``after``,
    each line with its whole case (the console and the CLI show more of it).

    ``waiting`` keeps only cases waiting on those parties (``WaitingOn`` values).
    """
    where, key, limit = _query(actor, states, open_only, emergency, waiting, limit, after)
    now = clock.now()
    with uow_factory() as uow:
        # One row more than asked tells whether there is a next page without counting.
        rows = uow.cases.page(where, paging.fetch_size(limit), key)
    shown, cursor = paging.cut(rows, limit, lambda r: encode_key(r.key))
    return QueuePage([_line(actor, r.case, r.demand_id, now) for r in shown], cursor)


def queue_lines(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    *,
    states: Iterable[str] | None = None,
    open_only: bool = False,
    emergency: bool | None = None,
    waiting: Iterable[str] | None = None,
    limit: int | None = None,
    after: str | None = None,
) -> paging.Page[QueueLine]:
    """``queue_page``'s lines read from the indexed copies alone, for the API's queue.

    Decoding 50 case documents was most of a page's CPU (issue 20's profile: 7 of 17 ms), and
    under a mixed load a page's tail is that CPU stretched by the submissions it shares the
    interpreter with; the columns and ``case_deadlines`` already hold everything a line shows.
    """
    where, key, limit = _query(actor, states, open_only, emergency, waiting, limit, after)
    now = clock.now()
    with uow_factory() as uow:
        rows = uow.cases.line_page(where, paging.fetch_size(limit), key)
    shown, cursor = paging.cut(rows, limit, lambda r: encode_key(r.key))
    return paging.Page([_line_from_columns(actor, r, now) for r in shown], cursor)


def _query(  # noqa: PLR0917 - the queue's filters and its page, checked together
    actor: User,
    states: Iterable[str] | None,
    open_only: bool,
    emergency: bool | None,
    waiting: Iterable[str] | None,
    limit: int | None,
    after: str | None,
) -> tuple[CaseFilter, QueueKey | None, int | None]:
    """The filter and cursor key a queue request asks for, checked (one sentence if bad)."""
    paging.check_limit(limit, "cases")
    key = paging.position(after, 3, _read_key)
    wanted = None if states is None else tuple(_states(states))
    parties = None if waiting is None else tuple(_parties(waiting))
    if actor.is_staff:
        permissions.check(actor, permissions.Action.READ_INTERNAL)
    agency = None if actor.is_staff else actor.agency_id  # a requester: their agency's cases
    return CaseFilter(wanted, open_only, agency, emergency, parties), key, limit


def _line_from_columns(actor: User, row: QueueLineRow, now: datetime) -> QueueLine:
    soonest = row.deadlines[0][1] if row.deadlines else None
    state = CaseState(row.state)
    return QueueLine(
        case_id=row.case_id,
        demand_id=row.demand_id,
        reference=row.reference,
        instrument=row.instrument,
        state=row.state,
        received_at=row.received_at,
        waiting_on=row.waiting_on,
        next_deadline=None if soonest is None else Deadline.model_validate_json(soonest),
        overdue=sum(1 for due_at, _ in row.deadlines if due_at <= now),
        allowed=tuple(permissions.case_steps(actor, state, row.recommended_by)),
    )


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


def waiting_counts(uow_factory: CaseUowFactory, actor: User) -> dict[str, int]:
    """How many open cases wait on each party, every party named (staff: one grouped count)."""
    permissions.check(actor, permissions.Action.READ_INTERNAL)
    with uow_factory() as uow:
        found = uow.cases.waiting_counts()
    return {w.value: found.get(w.value, 0) for w in WaitingOn}


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


def _parties(parties: Iterable[str]) -> list[str]:
    names = list(parties)
    valid = {w.value for w in WaitingOn}
    bad = [w for w in names if w not in valid]
    if bad:
        known = ", ".join(w.value for w in WaitingOn)
        raise InvalidInput(f"waiting_on: unknown party {', '.join(bad)} (expected one of: {known})")
    return names


# --- cursors -----------------------------------------------------------------------------------


def encode_key(key: QueueKey) -> str:
    return paging.encode([key.next_due_at.isoformat(), key.received_at.isoformat(), key.case_id])


def _read_key(parts: list[str]) -> QueueKey:
    due, received, case_id = parts
    return QueueKey(paging.instant(due), paging.instant(received), case_id)
