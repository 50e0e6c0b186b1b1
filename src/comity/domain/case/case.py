"""A case: one demand's life from receipt to answer, as an immutable value.

Every action is a method that takes the acting person and ``now`` and returns the new case and
the events to write to the audit log; the old case is unchanged, so a failed action loses
nothing. The state machine is the table in ``transitions``; this module adds what the table
cannot say (four eyes, per-finding decisions, the court bars).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from comity.domain import deadlines
from comity.domain.assessment import DISCLOSING, Pathway
from comity.domain.case.holds import HoldBasis, PreservationHold
from comity.domain.case.model import (
    COMPELLED,
    PRODUCIBLE,
    Actor,
    CaseEvent,
    CaseState,
    DecisionKind,
    FindingDecision,
    FindingRef,
    HistoryEntry,
    Period,
    WorkflowRole,
)
from comity.domain.case.notice import NoticePlan
from comity.domain.case.transitions import TABLE, Action, allowed_actions
from comity.domain.categories import Category
from comity.domain.court_events import CourtEvent, FindingScope
from comity.domain.deadlines import Deadline
from comity.domain.values import Frozen, Instant, require_aware
from comity.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound

Step = tuple["Case", list[CaseEvent]]

CourtStatus = Literal["contested", "preserve_only", "ordered", "quashed"]

#: States in which the demand is still to be answered (production deadlines run).
ANSWERING = frozenset(
    {
        CaseState.RECEIVED,
        CaseState.ASSESSED,
        CaseState.IN_REVIEW,
        CaseState.APPROVED,
        CaseState.PARTLY_APPROVED,
        CaseState.IN_PRODUCTION,
    }
)
BEFORE_OBJECTION = ANSWERING - {CaseState.IN_PRODUCTION}
FINISHED = frozenset({CaseState.CLOSED, CaseState.WITHDRAWN})
#: Instruments that oblige the provider to preserve at once: citation and legal-rules row.
PRESERVATION_INSTRUMENTS = {
    "us.preservation": ("18 U.S.C. 2703(f)(1)", "US-06"),
    "eu.epoc_pr": ("Reg. (EU) 2023/1543 Art. 11(1) (without undue delay)", "EU-06"),
}


class MotionRecord(Frozen):
    motion_id: str
    kind: str
    by: str
    filed_at: Instant
    scope: FindingScope
    status: Literal["pending", "granted", "denied", "moot"] = "pending"
    decided_at: Instant | None = None


class AppealRecord(Frozen):
    appeal_id: str
    court: str | None
    by: str
    filed_at: Instant
    certiorari: bool = False
    status: Literal["pending", "decided", "moot"] = "pending"


class PetitionRecord(Frozen):
    petition_id: str
    by: str
    filed_at: Instant
    en_banc: bool = False
    status: Literal["pending", "granted", "denied", "moot"] = "pending"


class ContemptRecord(Frozen):
    at: Instant
    sanctions: bool
    stipulated: bool
    vacated_at: Instant | None = None


class CourtRecord(Frozen):
    """What the courts have done about this demand, and what it means for each finding."""

    motions: tuple[MotionRecord, ...] = ()
    appeals: tuple[AppealRecord, ...] = ()
    petitions: tuple[PetitionRecord, ...] = ()
    contempt: ContemptRecord | None = None
    stay_in_force: bool = False
    moot_by: tuple[str, ...] = ()
    finding_status: dict[str, CourtStatus] = Field(default_factory=dict)
    events: tuple[CourtEvent, ...] = ()

    def pending_motions(self) -> list[MotionRecord]:
        return [m for m in self.motions if m.status == "pending"]

    def pending_appeals(self) -> list[AppealRecord]:
        return [a for a in self.appeals if a.status == "pending"]


class Reassessment(Frozen):
    """One re-assessment: when, by whom, why, on what basis, and which findings changed how."""

    at: Instant
    by: str
    reason: str
    basis: str | None = None
    changes: tuple[dict[str, Any], ...] = ()


_COMPARED = ("pathway", "reason", "deadline", "citation", "data_country")


def _finding_change(
    key: str, old: FindingRef | None, new: FindingRef | None
) -> dict[str, Any] | None:
    a = old.model_dump(mode="json") if old else {}
    b = new.model_dump(mode="json") if new else {}
    moved = {f: [a.get(f), b.get(f)] for f in _COMPARED if a.get(f) != b.get(f)}
    if not moved:
        return None
    return {
        "finding": key,
        "before": a.get("pathway"),
        "after": b.get("pathway"),
        "changed": moved,
    }


class Case(Frozen):
    case_id: str
    reference: str
    instrument: str
    issuer_country: str
    received_at: Instant
    zone: str
    emergency: bool = False
    period: Period | None = None
    state: CaseState = CaseState.RECEIVED
    findings: tuple[FindingRef, ...] = ()
    decisions: dict[str, FindingDecision] = Field(default_factory=dict)
    recommended_by: str | None = None
    approved_by: str | None = None
    produced: tuple[str, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    holds: tuple[PreservationHold, ...] = ()
    notice: NoticePlan = NoticePlan()
    court: CourtRecord = CourtRecord()
    replaces: str | None = None
    replaced_by: str | None = None
    needs_reassessment: str | None = None
    reassessments: tuple[Reassessment, ...] = ()
    outcome: str | None = None

    # --- reading -------------------------------------------------------------------------

    @property
    def subject(self) -> str:
        return f"case/{self.case_id}"

    def finding(self, key: str) -> FindingRef:
        for f in self.findings:
            if f.key == key:
                return f
        known = ", ".join(f.key for f in self.findings) or "none"
        raise InvalidInput(f"finding: no finding {key!r} in case {self.case_id} (known: {known})")

    def allowed_actions(self) -> list[str]:
        return allowed_actions(self.state)

    def in_scope(self, scope: FindingScope) -> list[FindingRef]:
        return [f for f in self.findings if scope.matches(f, self.issuer_country)]

    def production_bar(self) -> MotionRecord | None:
        """A pending 2703(h) motion covering a finding to produce: preserve, do not produce."""
        to_produce = {k for k, d in self.decisions.items() if d.kind is not DecisionKind.WITHHOLD}
        for motion in self.court.pending_motions():
            if motion.kind == "motion_2703h" and any(
                f.key in to_produce for f in self.in_scope(motion.scope)
            ):
                return motion
        return None

    def effective_status(self, key: str) -> str:  # noqa: PLR0911 (one answer per status)
        """What is happening to one finding now, all things (decisions, courts) considered."""
        finding = self.finding(key)
        if finding.pathway is Pathway.NO_DATA:
            return "no_data"
        court = self.court.finding_status.get(key)
        if court == "quashed":
            return "quashed"
        if key in self.produced:
            return "produced"
        if self.replaced_by is not None and self.state is CaseState.CLOSED:
            return "superseded"
        if court in ("contested", "preserve_only"):
            return court
        decision = self.decisions.get(key)
        if court == "ordered" and (decision is None or decision.kind is DecisionKind.WITHHOLD):
            return "ordered"
        if decision is None:
            return "pending"
        return {"produce": "produce", "withhold": "withhold", "narrow": "narrowed"}[decision.kind]

    def statuses(self) -> dict[str, str]:
        return {f.key: self.effective_status(f.key) for f in self.findings}

    def active_holds(self, now: datetime) -> list[PreservationHold]:
        return [h for h in self.holds if h.is_active(now)]

    def deadlines(self) -> list[Deadline]:
        """Every open deadline of this case, each with its citation."""
        out: list[Deadline] = []
        subject = self.subject
        pathways = {f.pathway for f in self.findings}
        if self.instrument == "eu.epoc" and self.state in ANSWERING:
            out.append(
                deadlines.epoc_production(
                    self.received_at,
                    emergency=self.emergency,
                    zone_name=self.zone,
                    subject=subject,
                )
            )
            if Pathway.NOTIFY_THEN_DISCLOSE in pathways:
                out.append(
                    deadlines.enforcing_authority_window(
                        self.received_at,
                        emergency=self.emergency,
                        zone_name=self.zone,
                        subject=subject,
                    )
                )
        if self.state in BEFORE_OBJECTION and Pathway.OBJECT in pathways:
            if self.instrument.startswith("eu."):
                out.append(
                    deadlines.art17_objection(
                        self.received_at, zone_name=self.zone, subject=subject
                    )
                )
            elif self.instrument.startswith("us.") and not any(
                m.kind == "motion_2703h" for m in self.court.motions
            ):
                out.append(
                    deadlines.motion_2703h(self.received_at, zone_name=self.zone, subject=subject)
                )
        if self.state in ANSWERING:
            # The engine counts a finding's deadline with the same ``domain.deadlines`` function
            # as the case, so one already listed here is the same deadline: list it once.
            listed = {d.due_at for d in out}
            for f in self.findings:
                if f.deadline is not None and f.deadline not in listed:
                    out.append(
                        Deadline(
                            kind="finding",
                            subject=f"{subject}#{f.key}",
                            due_at=f.deadline,
                            citation=f.citation or "law engine finding",
                            rule="-",
                            description=f"{f.pathway.value} {f.category.value} in "
                            f"{f.region or 'no region'}",
                        )
                    )
        law = PRESERVATION_INSTRUMENTS.get(self.instrument)
        if law is not None and not self.holds and self.state in ANSWERING:
            citation, rule = law
            out.append(
                Deadline(
                    kind="preservation_required",
                    subject=subject,
                    due_at=self.received_at,
                    citation=citation,
                    rule=rule,
                    description="preserve the named data now (place a hold)",
                )
            )
        for hold in self.holds:
            d = hold.deadline()
            if d is not None:
                out.append(d)
        if self.state is not CaseState.WITHDRAWN:
            if self.notice.delayed_from is not None and self.notice.given_at is None:
                out.append(self.notice.delay_deadline(self.zone, subject))
            notice = self.notice.due(
                owed_by=self.notice_owed_by(), zone_name=self.zone, subject=subject
            )
            if notice is not None:
                out.append(notice)
        return out

    def notice_owed_by(self) -> datetime | None:
        """By when the user (or enterprise customer) must be told; ``None``: nothing owed yet.

        Notice is owed before disclosure, not on receipt (practice.md, Google: "user notice
        before disclosure unless prohibited"). Disclosure cannot start before four-eyes approval,
        so notice is due at the earlier of the approval and the first deadline for handing over
        a finding that is still to be disclosed (a disclosing pathway not withheld or quashed).
        A case that will disclose nothing (no such finding; rejected, objected to, or closed
        without producing) owes none. An enterprise customer's demand redirected to the
        customer is the exception: the customer is told when it is redirected (practice.md,
        Microsoft: "redirected to the customer, who is notified unless that is prohibited").
        """
        if self.notice.customer is not None and self.state is CaseState.REDIRECTED:
            return self._last_entry_at(Action.REDIRECT)
        if self.produced:
            return self._last_entry_at(Action.APPROVE) or self._last_entry_at(
                Action.START_PRODUCTION
            )
        if self.state not in ANSWERING:
            return None
        to_disclose = [f for f in self.findings if self._will_disclose(f)]
        if not to_disclose:
            return None
        moments = [f.deadline for f in to_disclose if f.deadline is not None]
        approved = self._last_entry_at(Action.APPROVE) if self.approved_by else None
        if approved is not None:
            moments.append(approved)
        return min(moments, default=None)

    def _will_disclose(self, finding: FindingRef) -> bool:
        """Whether ``finding`` is still headed for disclosure (engine advice or reviewer choice)."""
        if finding.pathway is Pathway.NO_DATA or not self._producible(finding.key):
            return False
        decision = self.decisions.get(finding.key)
        if decision is not None:
            return decision.kind is not DecisionKind.WITHHOLD
        return finding.pathway in DISCLOSING

    def _last_entry_at(self, action: Action) -> datetime | None:
        return next((e.at for e in reversed(self.history) if e.action == action.value), None)

    # --- the state machine ---------------------------------------------------------------

    def _check(
        self, action: Action, actor: Actor, reason: str | None, *, check_role: bool = True
    ) -> str | None:
        rule = TABLE[action]
        if self.state not in rule.sources:
            raise IllegalTransition(self.state.value, action.value, self.allowed_actions())
        if check_role and not actor.has_any(rule.roles):
            roles = ", ".join(sorted(r.value for r in rule.roles))
            raise Forbidden(f"{actor.id} cannot {action.value}: it needs the role {roles}")
        text = reason.strip() if reason else None
        if rule.needs_reason and not text:
            raise InvalidInput(f"reason: {action.value} needs a written reason")
        return text

    def _move(
        self,
        action: Action,
        actor: Actor,
        now: datetime,
        reason: str | None = None,
        *,
        target: CaseState | None = None,
        check_role: bool = True,
        payload: dict[str, Any] | None = None,
        **updates: Any,
    ) -> Step:
        require_aware(now)
        text = self._check(action, actor, reason, check_role=check_role)
        rule = TABLE[action]
        to_state = target or rule.targets[0]
        assert to_state in rule.targets
        entry = HistoryEntry(
            at=now,
            actor=actor.id,
            action=action.value,
            from_state=self.state,
            to_state=to_state,
            reason=text,
        )
        new = self.model_copy(
            update={"state": to_state, "history": (*self.history, entry), **updates}
        )
        event = CaseEvent(
            time=now,
            actor=actor.id,
            action=f"case:{action.value}",
            subject=self.subject,
            payload={
                "from": self.state.value,
                "to": to_state.value,
                "reason": text,
                **(payload or {}),
            },
        )
        return new, [event]

    def assess(self, findings: list[FindingRef], actor: Actor, now: datetime) -> Step:
        _check_findings(findings)
        return self._move(
            Action.ASSESS,
            actor,
            now,
            findings=tuple(findings),
            payload={"findings": [f.model_dump(mode="json") for f in findings]},
        )

    def reassess(
        self,
        findings: list[FindingRef],
        actor: Actor,
        now: datetime,
        reason: str,
        *,
        basis: str | None = None,
    ) -> Step:
        """Re-assess as of a new date or under a new rule pack; say what changed and why.

        ``basis`` says what the new findings rest on (the date and rule pack); every finding
        whose pathway, reason, deadline, citation or data country moved is listed, and the case
        keeps the list (``reassessments``). Decisions survive only where the pathway did not move.
        """
        _check_findings(findings)
        before = {f.key: f for f in self.findings}
        after = {f.key: f for f in findings}
        changes = [
            change
            for k in sorted(set(before) | set(after))
            if (change := _finding_change(k, before.get(k), after.get(k))) is not None
        ]
        kept = {
            k: d
            for k, d in self.decisions.items()
            if k in before and k in after and before[k].pathway == after[k].pathway
        }
        record = Reassessment(
            at=now, by=actor.id, reason=reason.strip(), basis=basis, changes=tuple(changes)
        )
        return self._move(
            Action.REASSESS,
            actor,
            now,
            reason,
            findings=tuple(findings),
            decisions={} if self.state is CaseState.OBJECTED else kept,
            recommended_by=None,
            approved_by=None,
            needs_reassessment=None,
            reassessments=(*self.reassessments, record),
            payload={"basis": basis, "changes": changes},
        )

    def start_review(self, actor: Actor, now: datetime) -> Step:
        return self._move(Action.START_REVIEW, actor, now)

    def decide(
        self,
        key: str,
        kind: DecisionKind,
        actor: Actor,
        now: datetime,
        *,
        period: Period | None = None,
        justification: str | None = None,
    ) -> Step:
        """Decide one finding: produce, withhold, or produce a narrower period."""
        require_aware(now)
        self._check(Action.DECIDE, actor, None)
        finding = self.finding(key)
        if finding.pathway is Pathway.NO_DATA:
            raise InvalidInput(f"finding {key}: the provider holds no data here; nothing to decide")
        if self.court.finding_status.get(key) == "quashed" and kind is not DecisionKind.WITHHOLD:
            raise Conflict(
                f"finding {key}: a court quashed the demand for it; it cannot be produced"
            )
        if kind is DecisionKind.NARROW:
            self._check_narrower(key, period)
        elif period is not None:
            raise InvalidInput(f"period: only a decision to narrow names a period (finding {key})")
        overrides = (kind is DecisionKind.WITHHOLD and finding.pathway in COMPELLED) or (
            kind is not DecisionKind.WITHHOLD and finding.pathway not in PRODUCIBLE
        )
        text = justification.strip() if justification else None
        if overrides and not text:
            raise InvalidInput(
                f"justification: to {kind.value} finding {key} against its pathway "
                f"{finding.pathway.value}, write why"
            )
        decision = FindingDecision(
            key=key,
            kind=kind,
            period=period,
            justification=text,
            overrides_pathway=overrides,
            decided_by=actor.id,
            decided_at=now,
        )
        new = self.model_copy(
            update={
                "decisions": {**self.decisions, key: decision},
                "recommended_by": None,
                "approved_by": None,
            }
        )
        event = CaseEvent(
            time=now,
            actor=actor.id,
            action="case:finding:decided",
            subject=self.subject,
            payload=decision.model_dump(mode="json"),
        )
        return new, [event]

    def _check_narrower(self, key: str, period: Period | None) -> None:
        if period is None:
            raise InvalidInput(f"period: narrowing finding {key} needs a start and an end")
        if period.start > period.end:
            raise InvalidInput(f"period: the start {period.start} is after the end {period.end}")
        if self.period is None:
            return
        d = self.period
        if period.start < d.start or period.end > d.end:
            raise InvalidInput(
                f"period: {period.start}..{period.end} is not inside the demand's period "
                f"{d.start}..{d.end}"
            )
        if period == d:
            raise InvalidInput(
                f"period: {period.start}..{period.end} is the demand's whole period; "
                "decide produce instead"
            )

    def _undecided(self) -> list[str]:
        return [
            f.key
            for f in self.findings
            if f.pathway is not Pathway.NO_DATA
            and self.court.finding_status.get(f.key) != "quashed"
            and f.key not in self.decisions
        ]

    def recommend(self, actor: Actor, now: datetime, note: str | None = None) -> Step:
        self._check(Action.RECOMMEND, actor, None)
        missing = self._undecided()
        if missing:
            raise InvalidInput(f"decisions: no decision yet for {', '.join(missing)}")
        return self._move(
            Action.RECOMMEND,
            actor,
            now,
            note,
            recommended_by=actor.id,
            payload={"decisions": {k: d.kind.value for k, d in sorted(self.decisions.items())}},
        )

    def approve(self, actor: Actor, now: datetime) -> Step:
        """The second pair of eyes: an approver who is not the recommending reviewer."""
        self._check(Action.APPROVE, actor, None)
        if self.recommended_by is None:
            raise Conflict("approve: no reviewer has recommended the decisions yet")
        if actor.id == self.recommended_by:
            raise Forbidden(
                f"four eyes: {actor.id} recommended these decisions and cannot also approve them"
            )
        kinds = [self.decisions[k].kind for k in self.decisions if self._producible(k)]
        if not any(k is not DecisionKind.WITHHOLD for k in kinds):
            raise InvalidInput("approve: nothing would be produced; reject or redirect instead")
        whole = all(
            f.pathway is Pathway.NO_DATA
            or (
                self._producible(f.key)
                and f.key in self.decisions
                and self.decisions[f.key].kind is DecisionKind.PRODUCE
            )
            for f in self.findings
        )
        target = CaseState.APPROVED if whole else CaseState.PARTLY_APPROVED
        return self._move(Action.APPROVE, actor, now, target=target, approved_by=actor.id)

    def _producible(self, key: str) -> bool:
        return self.court.finding_status.get(key) != "quashed"

    def reject(self, actor: Actor, now: datetime, reason: str) -> Step:
        return self._move(Action.REJECT, actor, now, reason)

    def redirect(self, actor: Actor, now: datetime, reason: str) -> Step:
        return self._move(Action.REDIRECT, actor, now, reason)

    def object(self, actor: Actor, now: datetime, reason: str, *, check_role: bool = True) -> Step:
        self._check(Action.OBJECT, actor, reason, check_role=check_role)
        if self.state is CaseState.DELIVERED and not any(
            f.pathway is not Pathway.NO_DATA and f.key not in self.produced for f in self.findings
        ):
            raise Conflict("object: everything was delivered; there is nothing left to object to")
        return self._move(Action.OBJECT, actor, now, reason, check_role=check_role)

    def resume(self, actor: Actor, now: datetime, reason: str) -> Step:
        return self._move(Action.RESUME, actor, now, reason, recommended_by=None, approved_by=None)

    def start_production(self, actor: Actor, now: datetime) -> Step:
        self._check(Action.START_PRODUCTION, actor, None)
        if self.approved_by is None or self.approved_by == self.recommended_by:
            raise Forbidden(
                "four eyes: production needs an approval by someone other than the reviewer"
            )
        bar = self.production_bar()
        if bar is not None:
            raise Conflict(
                f"motion {bar.motion_id} under 18 U.S.C. 2703(h) is pending: preserve, do not "
                "produce (2703(h)(4))"
            )
        window = self.notification_window()
        if window is not None and now < window.due_at:
            raise Conflict(
                "the enforcing authority may still refuse until "
                f"{window.due_at.isoformat()}; a notified EPOC is transmitted at the end of "
                "that period (Reg. (EU) 2023/1543 Arts 8, 10(2): suspensive effect)"
            )
        return self._move(Action.START_PRODUCTION, actor, now)

    def notification_window(self) -> Deadline | None:
        """The enforcing authority's window while a finding to produce awaits it.

        None in emergencies: the notification then has no suspensive effect (Art. 8).
        """
        if self.emergency:
            return None
        waiting = any(
            f.pathway is Pathway.NOTIFY_THEN_DISCLOSE
            and f.key in self.decisions
            and self.decisions[f.key].kind is not DecisionKind.WITHHOLD
            for f in self.findings
        )
        if not waiting:
            return None
        return deadlines.enforcing_authority_window(
            self.received_at, emergency=False, zone_name=self.zone, subject=self.subject
        )

    def deliver(self, actor: Actor, now: datetime) -> Step:
        produced = tuple(
            k
            for k, d in sorted(self.decisions.items())
            if d.kind is not DecisionKind.WITHHOLD and self._producible(k)
        )
        return self._move(
            Action.DELIVER,
            actor,
            now,
            produced=(*self.produced, *produced),
            payload={"produced": list(produced)},
        )

    def close(self, actor: Actor, now: datetime, reason: str, *, check_role: bool = True) -> Step:
        """Close with a written outcome; holds end with the case (custody releases them)."""
        self._check(Action.CLOSE, actor, reason, check_role=check_role)
        why = (
            f"case closed; replaced by {self.replaced_by}"
            if self.replaced_by
            else "case closed: " + reason.strip()
        )
        holds = tuple(h.release(now, why) if h.released_at is None else h for h in self.holds)
        return self._move(
            Action.CLOSE,
            actor,
            now,
            reason,
            check_role=check_role,
            holds=holds,
            outcome=reason.strip(),
            payload={"released_holds": [h.hold_id for h in self.holds if h.released_at is None]},
        )

    def withdraw(self, actor: Actor, now: datetime, reason: str | None = None) -> Step:
        return self._move(Action.WITHDRAW, actor, now, reason, outcome="withdrawn by the requester")

    # --- holds -----------------------------------------------------------------------------

    def place_hold(
        self,
        actor: Actor,
        now: datetime,
        *,
        account: str,
        categories: tuple[Category, ...],
        region: str,
        basis: HoldBasis,
    ) -> Step:
        _legal_team(actor, "place a hold")
        if self.state in FINISHED:
            raise Conflict(f"case {self.case_id} is {self.state.value}; it takes no new hold")
        hold = PreservationHold.place(
            hold_id=f"{self.case_id}/hold-{len(self.holds) + 1}",
            case_id=self.case_id,
            account=account,
            categories=categories,
            region=region,
            basis=basis,
            zone=self.zone,
            now=now,
        )
        return self._hold_changed(hold, actor, now, "case:hold:placed", append=True)

    def _hold(self, hold_id: str) -> PreservationHold:
        for h in self.holds:
            if h.hold_id == hold_id:
                return h
        raise NotFound(f"hold: no hold {hold_id!r} in case {self.case_id}")

    def extend_hold(self, hold_id: str, actor: Actor, now: datetime) -> Step:
        _legal_team(actor, "extend a hold")
        return self._hold_changed(self._hold(hold_id).extend(now), actor, now, "case:hold:extended")

    def confirm_hold_follow_up(self, hold_id: str, actor: Actor, now: datetime) -> Step:
        _legal_team(actor, "confirm a hold")
        hold = self._hold(hold_id).confirm_follow_up(now)
        return self._hold_changed(hold, actor, now, "case:hold:confirmed")

    def release_hold(self, hold_id: str, actor: Actor, now: datetime, reason: str) -> Step:
        _legal_team(actor, "release a hold")
        hold = self._hold(hold_id).release(now, reason)
        return self._hold_changed(hold, actor, now, "case:hold:released")

    def _hold_changed(
        self,
        hold: PreservationHold,
        actor: Actor,
        now: datetime,
        action: str,
        *,
        append: bool = False,
    ) -> Step:
        require_aware(now)
        holds = (
            (*self.holds, hold)
            if append
            else tuple(hold if h.hold_id == hold.hold_id else h for h in self.holds)
        )
        event = CaseEvent(
            time=now,
            actor=actor.id,
            action=action,
            subject=f"hold/{hold.hold_id}",
            payload=hold.model_dump(mode="json"),
        )
        return self.model_copy(update={"holds": holds}), [event]

    # --- notice ---------------------------------------------------------------------------

    def set_non_disclosure(
        self, actor: Actor, now: datetime, *, until: date | None, indefinite: bool = False
    ) -> Step:
        """Record a non-disclosure order (18 U.S.C. 2705(b)), or its end (``until`` in the past)."""
        _legal_team(actor, "record a non-disclosure order")
        if until is None and not indefinite:
            raise InvalidInput("until: a non-disclosure order needs an end date or indefinite=true")
        plan = self.notice.changed(non_disclosure_until=until, non_disclosure_indefinite=indefinite)
        return self._notice_changed(plan, actor, now, "case:notice:non_disclosure")

    def delay_notice(self, actor: Actor, now: datetime, *, start: datetime, periods: int) -> Step:
        """Record a delay of customer notice under 2705(a): 90 days per period (US-14)."""
        _legal_team(actor, "record a delayed notice")
        if periods < 1:
            raise InvalidInput("periods: a delayed notice lasts at least one 90-day period")
        plan = self.notice.changed(delayed_from=start, delay_periods=periods)
        return self._notice_changed(plan, actor, now, "case:notice:delayed")

    def set_customer(self, actor: Actor, now: datetime, customer: str) -> Step:
        """An enterprise account: the demand goes to the customer, and the customer is told."""
        _legal_team(actor, "name the enterprise customer")
        plan = self.notice.model_copy(update={"customer": customer})
        return self._notice_changed(plan, actor, now, "case:notice:customer")

    def give_notice(self, actor: Actor, now: datetime) -> Step:
        _legal_team(actor, "give notice")
        if self.notice.forbidden_at(now, self.zone):
            raise Conflict(
                "notice: a non-disclosure order or delayed notice forbids telling "
                f"{self.notice.recipient()} now (18 U.S.C. 2705)"
            )
        if self.notice.given_at is not None:
            raise Conflict(f"notice: {self.notice.recipient()} was already told")
        plan = self.notice.model_copy(update={"given_at": now, "given_to": self.notice.recipient()})
        return self._notice_changed(plan, actor, now, "case:notice:given")

    def _notice_changed(self, plan: NoticePlan, actor: Actor, now: datetime, action: str) -> Step:
        require_aware(now)
        event = CaseEvent(
            time=now,
            actor=actor.id,
            action=action,
            subject=self.subject,
            payload=plan.model_dump(mode="json"),
        )
        return self.model_copy(update={"notice": plan}), [event]


def _legal_team(actor: Actor, what: str) -> None:
    if not actor.has_any(
        frozenset({WorkflowRole.REVIEWER, WorkflowRole.APPROVER, WorkflowRole.ADMINISTRATOR})
    ):
        raise Forbidden(
            f"{actor.id} cannot {what}: it needs the role reviewer, approver or administrator"
        )


def _check_findings(findings: list[FindingRef]) -> None:
    if not findings:
        raise InvalidInput("findings: an assessment has at least one finding")
    keys = [f.key for f in findings]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise InvalidInput(f"findings: {', '.join(dupes)} appear more than once")


def new_case(
    *,
    case_id: str,
    reference: str,
    instrument: str,
    issuer_country: str,
    received_at: datetime,
    zone: str,
    now: datetime,
    emergency: bool = False,
    period: Period | None = None,
    non_disclosure_until: date | None = None,
    customer: str | None = None,
    replaces: str | None = None,
    non_disclosure_indefinite: bool = False,
    actor: str = "system",
) -> Step:
    """A new case in state ``received`` and its opening event."""
    deadlines.zone(zone)
    require_aware(received_at, "received_at")
    require_aware(now)
    case = Case(
        case_id=case_id,
        reference=reference,
        instrument=instrument,
        issuer_country=issuer_country,
        received_at=received_at,
        zone=zone,
        emergency=emergency,
        period=period,
        notice=NoticePlan(
            non_disclosure_until=non_disclosure_until,
            non_disclosure_indefinite=non_disclosure_indefinite,
            customer=customer,
        ),
        replaces=replaces,
    )
    event = CaseEvent(
        time=now,
        actor=actor,
        action="case:opened",
        subject=case.subject,
        payload=case.model_dump(mode="json"),
    )
    return case, [event]
