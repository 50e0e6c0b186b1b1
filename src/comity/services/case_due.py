"""What is due soon and what is overdue across the cases: deadlines, hold expiries, notices.

Each case says its own open deadlines (``Case.deadlines``: production periods, objection and
2703(h) windows, finding deadlines, preservation to place, hold expiries, user notice once a
non-disclosure order ends); this gathers them for every case the caller may see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from comity.domain import permissions
from comity.domain.registry import User
from comity.domain.workflow import Deadline, due_list
from comity.errors import InvalidInput
from comity.services.case_access import CaseUowFactory
from comity.services.ports import Clock

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
#: The furthest ahead the due list looks: a preservation hold runs 90 days and may be extended
#: once (18 U.S.C. 2703(f)(2)), a delayed notice 90 days per period; two years covers any of them.
MAX_WINDOW = timedelta(days=731)


def parse_window(text: str, field: str = "within") -> timedelta:
    """``48h``, ``3d``, ``90m``, ``2w`` as a span of time, or one sentence saying what is wrong."""
    match = _SPAN.match(text)
    if match is None:
        raise InvalidInput(f"{field}: expected a span such as 48h, 3d, 90m or 2w, got {text!r}")
    amount, unit = float(match.group(1)), _UNITS[match.group(2)]
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

    def to_document(self) -> dict[str, Any]:
        return {
            **self.deadline.model_dump(mode="json"),
            "case": self.case_id,
            "reference": self.reference,
            "state": self.state,
        }


@dataclass(frozen=True)
class Due:
    now: datetime
    window: timedelta
    overdue: list[DueItem]
    due_soon: list[DueItem]

    def to_document(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "window_hours": self.window.total_seconds() / 3600,
            "overdue": [i.to_document() for i in self.overdue],
            "due_soon": [i.to_document() for i in self.due_soon],
        }


def due(uow_factory: CaseUowFactory, clock: Clock, actor: User, *, within: timedelta) -> Due:
    """Overdue deadlines and those falling due within ``within`` from now (staff only)."""
    permissions.check(actor, permissions.Action.READ_INTERNAL)
    if within < timedelta(0):
        raise InvalidInput("within: the window cannot be negative")
    now = clock.now()
    with uow_factory() as uow:
        every = list(uow.cases.list())
    overdue: list[DueItem] = []
    soon: list[DueItem] = []
    for case in every:
        report = due_list([case], now=now, window=within)
        overdue += [
            DueItem(d, case.case_id, case.reference, case.state.value) for d in report.overdue
        ]
        soon += [
            DueItem(d, case.case_id, case.reference, case.state.value) for d in report.due_soon
        ]
    return Due(now, within, sorted(overdue, key=_order), sorted(soon, key=_order))


def _order(item: DueItem) -> tuple[datetime, str, str]:
    return (item.deadline.due_at, item.deadline.subject, item.deadline.kind)
