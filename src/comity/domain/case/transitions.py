"""The case workflow's state machine, as one table.

Each row names an action, the states it may start from, the states it may lead to, the roles
that may take it and what it needs. The case refuses anything the table does not allow, and the
tests generate every refused (state, action) pair from this same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from comity.domain.case.model import CaseState, WorkflowRole

S = CaseState


class Action(StrEnum):
    ASSESS = "assess"
    REASSESS = "reassess"
    START_REVIEW = "start_review"
    DECIDE = "decide"
    RECOMMEND = "recommend"
    APPROVE = "approve"
    REJECT = "reject"
    REDIRECT = "redirect"
    OBJECT = "object"
    RESUME = "resume"
    START_PRODUCTION = "start_production"
    DELIVER = "deliver"
    CLOSE = "close"
    WITHDRAW = "withdraw"


@dataclass(frozen=True)
class Rule:
    action: Action
    sources: frozenset[CaseState]
    targets: tuple[CaseState, ...]
    roles: frozenset[WorkflowRole]
    needs_reason: bool
    needs: str


def _rule(
    action: Action,
    sources: set[CaseState],
    targets: tuple[CaseState, ...],
    roles: set[WorkflowRole],
    needs: str,
    *,
    reason: bool = False,
) -> Rule:
    return Rule(action, frozenset(sources), targets, frozenset(roles), reason, needs)


LEGAL_TEAM = {WorkflowRole.REVIEWER, WorkflowRole.APPROVER}
#: Who may start a production and deliver it: an approver (the second pair of eyes has already
#: looked) or an administrator. This row is the one answer; the production service asks it too.
PRODUCERS = {WorkflowRole.APPROVER, WorkflowRole.ADMINISTRATOR}
OPEN_STATES = {
    S.RECEIVED,
    S.ASSESSED,
    S.IN_REVIEW,
    S.APPROVED,
    S.PARTLY_APPROVED,
    S.OBJECTED,
    S.IN_PRODUCTION,
}

TABLE: dict[Action, Rule] = {
    r.action: r
    for r in (
        _rule(
            Action.ASSESS,
            {S.RECEIVED},
            (S.ASSESSED,),
            {WorkflowRole.SYSTEM},
            "the law engine's findings",
        ),
        _rule(
            Action.REASSESS,
            {S.ASSESSED, S.IN_REVIEW, S.OBJECTED},
            (S.ASSESSED,),
            {WorkflowRole.SYSTEM},
            "new findings and what changed (a new date or rule pack); decisions start over",
            reason=True,
        ),
        _rule(
            Action.START_REVIEW, {S.ASSESSED}, (S.IN_REVIEW,), {WorkflowRole.REVIEWER}, "nothing"
        ),
        _rule(
            Action.DECIDE,
            {S.IN_REVIEW},
            (S.IN_REVIEW,),
            {WorkflowRole.REVIEWER},
            "a decision per finding; a written justification to override its pathway",
        ),
        _rule(
            Action.RECOMMEND,
            {S.IN_REVIEW},
            (S.IN_REVIEW,),
            {WorkflowRole.REVIEWER},
            "a decision on every finding that holds data",
        ),
        _rule(
            Action.APPROVE,
            {S.IN_REVIEW},
            (S.APPROVED, S.PARTLY_APPROVED),
            {WorkflowRole.APPROVER},
            "a recommendation by another person (four eyes) and something to produce",
        ),
        _rule(
            Action.REJECT, {S.IN_REVIEW}, (S.REJECTED,), LEGAL_TEAM, "a written reason", reason=True
        ),
        _rule(
            Action.REDIRECT,
            {S.IN_REVIEW},
            (S.REDIRECTED,),
            LEGAL_TEAM,
            "a written reason (where the requester must go instead)",
            reason=True,
        ),
        _rule(
            Action.OBJECT,
            {S.ASSESSED, S.IN_REVIEW, S.APPROVED, S.PARTLY_APPROVED, S.IN_PRODUCTION, S.DELIVERED},
            (S.OBJECTED,),
            {*LEGAL_TEAM, WorkflowRole.ADMINISTRATOR},
            "a written reason; from delivered only if some finding was withheld; from production "
            "when it must stop (a court, the law or the facts changed): the unpublished package "
            "is abandoned",
            reason=True,
        ),
        _rule(
            Action.RESUME,
            {S.OBJECTED},
            (S.IN_REVIEW,),
            LEGAL_TEAM,
            "a written reason (how the objection ended); recommendation and approval start over",
            reason=True,
        ),
        _rule(
            Action.START_PRODUCTION,
            {S.APPROVED, S.PARTLY_APPROVED},
            (S.IN_PRODUCTION,),
            PRODUCERS,
            "four-eyes approval and no court bar (18 U.S.C. 2703(h)(4))",
        ),
        # Delivery is the last step of the production run that started it, so whoever may
        # start a production may finish it (domain.permissions reads both rows).
        _rule(Action.DELIVER, {S.IN_PRODUCTION}, (S.DELIVERED,), PRODUCERS, "nothing"),
        _rule(
            Action.CLOSE,
            {S.DELIVERED, S.REJECTED, S.REDIRECTED, S.OBJECTED},
            (S.CLOSED,),
            {WorkflowRole.ADMINISTRATOR},
            "a written outcome",
            reason=True,
        ),
        _rule(
            Action.WITHDRAW,
            OPEN_STATES,
            (S.WITHDRAWN,),
            {WorkflowRole.REQUESTER},
            "nothing (the requester may say why)",
        ),
    )
}


def allowed_actions(state: CaseState) -> list[str]:
    """The actions the table allows from ``state``, in table order."""
    return [a.value for a, rule in TABLE.items() if state in rule.sources]


def legal_pairs() -> list[tuple[CaseState, Action]]:
    return [(s, a) for a, rule in TABLE.items() for s in sorted(rule.sources)]


def illegal_pairs() -> list[tuple[CaseState, Action]]:
    return [(s, a) for s in CaseState for a in Action if s not in TABLE[a].sources]
