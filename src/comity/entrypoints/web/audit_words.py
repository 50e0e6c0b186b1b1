"""Audit entries read as what happened: who did what to which demand or case, and when.

The log keeps an action, an actor, a subject and the SHA-256 of the payload (the payload stays
with the case or the demand, so the log proves without copying customer data). For a person the
page puts the entry back into words and, for a case's entry, shows the case's own record of that
step (the transition and its reason, the decision on each finding) made by that actor at that
time; the digest and the proof stay below for whoever checks them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from comity.bootstrap import Comity

#: Each action in words, as "<actor> <words> <subject>".
ACTION_WORDS = {
    "demand:received": "received",
    "demand:withdrawn": "withdrew",
    "demand:verified": "verified out of band",
    "demand:callback": "recorded a call-back on",
    "demand:message:posted": "posted a message on",
    "demand:assessment:created": "ran the law engine on",
    "case:opened": "opened",
    "case:assess": "recorded the assessment on",
    "case:reassess": "re-assessed",
    "case:start_review": "started the review of",
    "case:decide": "decided a finding of",
    "case:finding:decided": "decided a finding of",
    "case:recommend": "recommended for approval",
    "case:approve": "approved (second pair of eyes)",
    "case:reject": "rejected",
    "case:redirect": "redirected the requester of",
    "case:object": "objected to",
    "case:resume": "resumed the review of",
    "case:start_production": "started the production of",
    "case:deliver": "delivered",
    "case:close": "closed",
    "case:withdraw": "withdrew",
    "case:hold:placed": "placed a preservation hold on",
    "case:hold:extended": "extended a preservation hold on",
    "case:hold:confirmed": "confirmed a preservation hold on",
    "case:hold:released": "released a preservation hold on",
    "case:notice:non_disclosure": "recorded a non-disclosure order on",
    "case:notice:delayed": "recorded delayed notice on",
    "case:notice:customer": "named the enterprise customer to tell on",
    "case:notice:given": "recorded that the user was told, on",
    "production:started": "started",
    "production:published": "published",
    "production:failed": "recorded the failure of",
    "production:retried": "retried",
    "production:refused": "refused",
    "production:abandoned": "abandoned",
    "production:link:created": "created a download link for",
    "production:downloaded": "downloaded",
}


@dataclass(frozen=True)
class Described:
    #: "rita started the review of case cas-1", in words.
    sentence: str
    #: The console page of the demand the entry concerns, if there is one.
    link: str | None
    #: The case's own record of this step, one line each.
    details: list[str] = field(default_factory=list)


def words_for(action: str) -> str:
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    if action.startswith("case:court:"):
        return f"recorded a court event ({action.removeprefix('case:court:').replace('_', ' ')}) on"
    return action.replace(":", " ").replace("_", " ") + " on"


def sentence(actor: str, action: str, subject: str) -> str:
    kind, _, name = subject.partition("/")
    what = f"{kind} {name}" if name else subject
    return f"{actor} {words_for(action)} {what}"


def describe(comity: Comity, doc: dict[str, str]) -> Described:
    """Entry ``doc`` (time, actor, action, subject, digest) in words, with the case's record."""
    actor, action, subject = doc.get("actor", ""), doc.get("action", ""), doc.get("subject", "")
    kind, _, name = subject.partition("/")
    details: list[str] = []
    link: str | None = None
    with comity.reader() as uow:
        if kind == "demand":
            link = f"/console/demands/{name}"
        elif kind == "case":
            demand_id = uow.cases.demand_of(name)
            link = f"/console/demands/{demand_id}" if demand_id else None
            case = uow.cases.get(name)
            when = _when(doc.get("time", ""))
            if case is not None and when is not None:
                for h in case.history:
                    if h.at == when and h.actor == actor:
                        step = f"{h.action}: {h.from_state.value} → {h.to_state.value}"
                        details.append(step + (f"; reason: {h.reason}" if h.reason else ""))
                targets = {f.key: f"{f.category.value} of {f.target}" for f in case.findings}
                for key, d in case.decisions.items():
                    if d.decided_at == when and d.decided_by == actor:
                        line = f"{targets.get(key, key)}: {d.kind.value}"
                        if d.period:
                            line += f" from {d.period.start} to {d.period.end}"
                        if d.justification:
                            line += f"; justification: {d.justification}"
                        details.append(line)
    if kind == "production":
        with comity.production_reader() as tx:  # a page read: no write lock
            made = tx.productions.get(name)
        link = f"/console/demands/{made.demand_id}" if made is not None else None
    return Described(sentence(actor, action, subject), link, details)


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
