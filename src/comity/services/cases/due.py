"""What is due soon and what is overdue across the cases: deadlines, hold expiries, notices.

Each case says its own open deadlines (``Case.deadlines``: production periods, objection and
2703(h) windows, finding deadlines, preservation to place, hold expiries, user notice once a
non-disclosure order ends). The repository keeps a copy of each in an indexed table, written
with the case, so the list is one indexed range up to now + window rather than a read of every
case; a page continues after the last deadline shown (an opaque cursor).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from comity.domain import permissions
from comity.domain.inputs import numbers_up_to
from comity.domain.registry import User
from comity.domain.workflow import Deadline
from comity.errors import InvalidInput
from comity.services import paging
from comity.services.cases.access import CaseUowFactory
from comity.services.cases.ports import DueKey, DueRow
from comity.services.ports import Clock

_SPAN = re.compile(r"^([0-9]+)([mhdw])$", re.ASCII)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: The furthest ahead the due list looks: a preservation hold runs 90 days and may be extended
#: once (18 U.S.C. 2703(f)(2)), a delayed notice 90 days per period; two years covers any of them.
MAX_WINDOW = timedelta(days=731)


def _window_pattern() -> str:
    """The spans ``parse_window`` accepts, as the published pattern: a whole number of minutes,
    hours, days or weeks, up to ``MAX_WINDOW``."""
    spans = [
        f"{numbers_up_to(int(MAX_WINDOW / timedelta(**{unit: 1})))}{letter}"
        for letter, unit in _UNITS.items()
    ]
    return f"^({'|'.join(spans)})$"


#: What ``within`` may be, published with the parameter.
WINDOW_PATTERN = _window_pattern()


def parse_window(text: str, field: str = "within") -> timedelta:
    """``48h``, ``3d``, ``90m``, ``2w`` as a span of time, or one sentence saying what is wrong."""
    match = _SPAN.match(text)
    if match is None:
        raise InvalidInput(f"{field}: expected a span such as 48h, 3d, 90m or 2w, got {text!r}")
    amount, unit = int(match.group(1)), _UNITS[match.group(2)]
    if amount > MAX_WINDOW / timedelta(**{unit: 1}):
        raise InvalidInput(
            f"{field}: {text.strip()} is longer than the longest window, {MAX_WINDOW.days} days"
        )
    return timedelta(**{unit: amount})


@dataclass(frozen=True)
class DueItem:
    """One deadline with the case it belongs to."""

    deadline: Deadline
    case_id: str
    reference: str
    state: str

    def to_document(self, now: datetime | None = None) -> dict[str, Any]:
        """The deadline with its case; with ``now``, whether it is overdue at that instant."""
        doc = {
            **self.deadline.model_dump(mode="json"),
            "case": self.case_id,
            "reference": self.reference,
            "state": self.state,
        }
        if now is not None:
            doc["overdue"] = self.deadline.due_at <= now
        return doc


@dataclass(frozen=True)
class Due:
    now: datetime
    window: timedelta
    overdue: list[DueItem]
    due_soon: list[DueItem]
    #: Give it back as the cursor for the next page; None when this page is the last.
    next: str | None = None

    def page(self) -> paging.Page[dict[str, Any]]:
        """The list as every list pages (``services.paging``): soonest first, each marked
        overdue or not."""
        items = [i.to_document(self.now) for i in [*self.overdue, *self.due_soon]]
        return paging.Page(items, self.next)

    def to_document(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "window_hours": self.window.total_seconds() / 3600,
            "overdue": [i.to_document() for i in self.overdue],
            "due_soon": [i.to_document() for i in self.due_soon],
            "next": self.next,
        }


def due(
    uow_factory: CaseUowFactory,
    clock: Clock,
    actor: User,
    *,
    within: timedelta,
    limit: int | None = None,
    after: str | None = None,
) -> Due:
    """Overdue deadlines and those falling due within ``within`` from now (staff only).

    Soonest first; with ``limit``, at most that many deadlines over both lists, the rest on the
    pages after (``Due.next``).
    """
    permissions.check(actor, permissions.Action.READ_INTERNAL)
    if within < timedelta(0):
        raise InvalidInput("within: the window cannot be negative")
    paging.check_limit(limit, "deadlines")
    key = paging.position(after, 4, _read_key)
    now = clock.now()
    with uow_factory() as uow:
        rows = uow.cases.due_by(now + within, paging.fetch_size(limit), key)
    shown, cursor = paging.cut(rows, limit, lambda r: _encode(r.key))
    overdue = [_item(r) for r in shown if r.deadline.due_at <= now]
    soon = [_item(r) for r in shown if r.deadline.due_at > now]
    return Due(now, within, overdue, soon, cursor)


def _item(row: DueRow) -> DueItem:
    return DueItem(row.deadline, row.case_id, row.reference, row.state)


def _encode(key: DueKey) -> str:
    return paging.encode([key.due_at.isoformat(), key.subject, key.kind, key.case_id])


def _read_key(parts: list[str]) -> DueKey:
    due_at, subject, kind, case_id = parts
    return DueKey(paging.instant(due_at), subject, kind, case_id)
