"""A case's state and history in the words the console shows.

Why a module: the state machine keeps a recommended case ``in_review`` until a second person
approves (four eyes), so the bare state read the same before and after a recommendation and the
history read "in_review -> in_review". The queue, the case page and its history take their words
from here, so all of them say a recommended case is waiting for approval.
"""

from __future__ import annotations

from comity.domain.case.model import HistoryEntry
from comity.domain.workflow import Case, CaseState

STATE_WORDS = {
    "received": "received, not yet assessed",
    "assessed": "assessed, waiting for review",
    "in_review": "in review",
    "approved": "approved for production",
    "partly_approved": "partly approved for production",
    "rejected": "rejected",
    "redirected": "redirected elsewhere",
    "objected": "objected to",
    "in_production": "in production",
    "delivered": "delivered",
    "closed": "closed",
    "withdrawn": "withdrawn",
}

RECOMMENDED = "recommended, waiting for approval"

#: Each history action as a past-tense phrase (``domain/case/transitions.py`` ``Action``).
ACTION_WORDS = {
    "assess": "assessed",
    "reassess": "re-assessed",
    "start_review": "started the review",
    "decide": "decided a finding",
    "recommend": "recommended the decisions",
    "approve": "approved",
    "reject": "rejected the demand",
    "redirect": "redirected the requester",
    "object": "objected to the demand",
    "resume": "resumed the review",
    "start_production": "started the production",
    "deliver": "delivered",
    "close": "closed the case",
    "withdraw": "withdrew the demand",
}


def state_words(case: Case) -> str:
    """The case's state as the console shows it; a recommended review waits for approval."""
    if case.state is CaseState.IN_REVIEW and case.recommended_by and not case.approved_by:
        return RECOMMENDED
    return STATE_WORDS.get(case.state.value, case.state.value)


def history_words(entry: HistoryEntry) -> str:
    """One history step: what was done, and the state it left the case in.

    A step that keeps the state says so instead of "in_review -> in_review"; a recommendation
    says the case now waits for approval.
    """
    done = ACTION_WORDS.get(entry.action, entry.action.replace("_", " "))
    after = entry.to_state.value.replace("_", " ")
    if entry.action == "recommend":
        return f"{done} (still in review; now waiting for approval)"
    if entry.from_state is entry.to_state:
        return f"{done} (still {after})"
    before = entry.from_state.value.replace("_", " ")
    return f"{done} ({before} → {after})"
