"""Whom a case waits on: the question a legal team's queue answers first.

Derived from the case alone (its state, the four-eyes record, the court record), so the same case
always waits on the same party and the repository can copy the answer into an indexed column with
every save (``cases.waiting_on``) for the queue's filter.

The order of the checks is the order of precedence:

1. a finished case (closed, withdrawn) waits on nobody;
2. a court: while a stay is in force; an objection with a motion, appeal or petition pending
   (the court decides it); an approved production barred by a pending motion to quash under
   18 U.S.C. 2703(h)(4) (preserve, do not produce, until the court rules). A case resumed to
   review what a motion does not cover waits on review, not on the court;
3. a case marked for re-assessment (the law or the facts changed) waits on legal review;
4. otherwise the state says: received, assessed or in review without a recommendation wait on
   legal review; in review with a recommendation waits on approval by a second person (four
   eyes: the approver must not be the reviewer who recommended); approved, partly approved or in
   production wait on production; an objection without a court waits on the requester (the
   issuing authority must withdraw, amend or go to court: e.g. Reg. (EU) 2023/1543 Art. 10(5),
   Art. 17; 18 U.S.C. 2703(d) motion practice); delivered, rejected or redirected wait on
   nobody, the provider having answered.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from comity.domain.case.model import CaseState

if TYPE_CHECKING:
    from comity.domain.case.case import Case


class WaitingOn(StrEnum):
    """Who must act next for the case to move on."""

    REVIEW = "review"
    APPROVAL = "approval"
    REQUESTER = "requester"
    COURT = "court"
    PRODUCTION = "production"
    NOBODY = "nobody"


#: How the queue names each party (console headings, CLI columns).
LABELS: dict[WaitingOn, str] = {
    WaitingOn.REVIEW: "Legal review",
    WaitingOn.APPROVAL: "Approval by a second person",
    WaitingOn.PRODUCTION: "Production",
    WaitingOn.COURT: "A court",
    WaitingOn.REQUESTER: "The requester",
    WaitingOn.NOBODY: "Nobody (answered or finished)",
}

_BY_STATE: dict[CaseState, WaitingOn] = {
    CaseState.RECEIVED: WaitingOn.REVIEW,
    CaseState.ASSESSED: WaitingOn.REVIEW,
    CaseState.IN_REVIEW: WaitingOn.REVIEW,
    CaseState.APPROVED: WaitingOn.PRODUCTION,
    CaseState.PARTLY_APPROVED: WaitingOn.PRODUCTION,
    CaseState.IN_PRODUCTION: WaitingOn.PRODUCTION,
    CaseState.OBJECTED: WaitingOn.REQUESTER,
    CaseState.DELIVERED: WaitingOn.NOBODY,
    CaseState.REJECTED: WaitingOn.NOBODY,
    CaseState.REDIRECTED: WaitingOn.NOBODY,
    CaseState.CLOSED: WaitingOn.NOBODY,
    CaseState.WITHDRAWN: WaitingOn.NOBODY,
}

_FINISHED = frozenset({CaseState.CLOSED, CaseState.WITHDRAWN})


def waiting_on(case: Case) -> WaitingOn:
    """Whom ``case`` waits on now (the precedence is in the module's docstring)."""
    if case.state in _FINISHED:
        return WaitingOn.NOBODY
    if _before_court(case):
        return WaitingOn.COURT
    if case.needs_reassessment is not None:
        return WaitingOn.REVIEW
    if case.state is CaseState.IN_REVIEW and case.recommended_by is not None:
        return WaitingOn.APPROVAL
    return _BY_STATE[case.state]


def _before_court(case: Case) -> bool:
    court = case.court
    if court.stay_in_force:
        return True
    if case.state is CaseState.OBJECTED:
        pending_petition = any(p.status == "pending" for p in court.petitions)
        return bool(court.pending_motions() or court.pending_appeals() or pending_petition)
    if case.state in (CaseState.APPROVED, CaseState.PARTLY_APPROVED):
        return case.production_bar() is not None
    return False
