"""The case workflow on the demand page: open the case, review, decide, recommend, approve, and
reject, redirect, object or resume with a reason.

Forms are offered only for the actions the state machine allows now and the signed-in person's
roles may take, four eyes included (``domain.permissions.allowed_actions``, the one permission
table); the service checks again, so a stale page is refused with the workflow's own sentence,
not obeyed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from comity.bootstrap import Comity
from comity.domain import permissions
from comity.domain.case.transitions import Action
from comity.domain.inputs import DecisionIn, parse_day, parse_input
from comity.domain.registry import HANDLERS, User
from comity.domain.workflow import Case, Period
from comity.entrypoints.api.assessments_api import request_assessor
from comity.entrypoints.web.court_forms import (
    COMMON,
    COURT_FORMS,
    COURT_KINDS,
    CourtField,
    CourtForm,
)
from comity.entrypoints.web.visitor import StaffVisitor, checked_form, comity_of
from comity.errors import NotFound
from comity.law.countries import known_countries
from comity.services.cases import actions as cases
from comity.services.cases.access import CaseUowFactory
from comity.services.ports import Clock

router = APIRouter(include_in_schema=False)
#: What a person may do from the page; production and delivery belong to the productions code.
PAGE_ACTIONS = (
    Action.START_REVIEW,
    Action.DECIDE,
    Action.RECOMMEND,
    Action.APPROVE,
    Action.REJECT,
    Action.REDIRECT,
    Action.OBJECT,
    Action.RESUME,
    Action.CLOSE,
    Action.REASSESS,
)
#: The steps the next-action card offers first; the rarer ones sit behind disclosure widgets.
MAIN_ACTIONS = ("start_review", "recommend", "approve")
RARE_ACTIONS = ("reject", "redirect", "object", "resume")


FINISHED = frozenset({"closed", "withdrawn"})


def waiting_on(case: Case) -> str:
    """Whom the case waits on now, in words, for someone who has nothing to do on it."""
    state = case.state.value
    if state == "in_review" and case.recommended_by:
        return f"waiting for approval by an approver other than {case.recommended_by}"
    words = {
        "received": "waiting for the law engine's assessment",
        "assessed": "waiting for a reviewer to start the review",
        "in_review": "waiting for the reviewer to decide each finding and recommend",
        "approved": "waiting for an approver or administrator to produce the package",
        "partly_approved": "waiting for an approver or administrator to produce the package",
        "in_production": "waiting for the regions' agents to finish the package",
        "delivered": "delivered; waiting for an administrator to close the case",
        "objected": "waiting for the court or a decision to resume",
    }
    return words.get(state, "nothing more to do")


@dataclass(frozen=True)
class CasePanel:
    case: Case
    actions: list[str]
    #: Holds, notices and court events may be recorded (an open case, a handling role).
    more: bool = False
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    court_kinds: tuple[str, ...] = ()
    court_forms: tuple[CourtForm, ...] = ()
    common_fields: tuple[CourtField, ...] = ()

    def may(self, action: str) -> bool:
        return action in self.actions

    @property
    def main_actions(self) -> list[str]:
        return [a for a in MAIN_ACTIONS if a in self.actions]

    @property
    def rare_actions(self) -> list[str]:
        return [a for a in RARE_ACTIONS if a in self.actions]

    @property
    def waiting_on(self) -> str:
        return waiting_on(self.case)


def panel(
    comity: Comity, user: User, demand_id: str, accounts: frozenset[str] = frozenset()
) -> CasePanel | None:
    """The demand's case and the page actions this user may take on it now (None: no case)."""
    with comity.reader() as uow:
        case = uow.cases.for_demand(demand_id)
    if case is None:
        return None
    allowed = set(permissions.allowed_actions(user, case))  # the one permission table
    actions = [str(a.value) for a in PAGE_ACTIONS if a.value in allowed]
    return CasePanel(
        case,
        actions,
        more=case.state.value not in FINISHED and user.has(HANDLERS),
        accounts=tuple(sorted(accounts)),
        regions=tuple(r.id for r in comity.deployment.regions),
        court_kinds=COURT_KINDS,
        court_forms=COURT_FORMS,
        common_fields=COMMON,
    )


def law_context(request: Request) -> cases.LawContext:
    comity = comity_of(request)
    return cases.LawContext(request_assessor(request), comity.deployment, known_countries())


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _decision(form: FormData) -> DecisionIn:
    """The form as the API's decision document, checked by the same model."""
    start, end = _text(form, "period_start"), _text(form, "period_end")
    doc: dict[str, object] = {
        "finding": _text(form, "finding"),
        "decision": _text(form, "decision"),
        "justification": _text(form, "justification") or None,
    }
    if start or end:
        doc["period"] = {"start": start, "end": end}
    return parse_input(DecisionIn, doc)


def _decide(uow: CaseUowFactory, clock: Clock, user: User, case_id: str, form: FormData) -> Case:
    body = _decision(form)
    period = Period(start=body.period.start, end=body.period.end) if body.period else None
    return cases.decide(
        uow,
        clock,
        user,
        case_id,
        finding=body.finding,
        decision=body.decision,
        period=period,
        justification=body.justification,
    )


Step = Callable[[CaseUowFactory, Clock, User, str], Case]


def _step(action: str, form: FormData) -> Step:
    """The service call for ``action`` with the form's arguments bound."""
    reason = _text(form, "reason")
    note = _text(form, "note") or None
    steps: dict[str, Step] = {
        "start_review": cases.start_review,
        "approve": cases.approve,
        "recommend": lambda u, c, a, i: cases.recommend(u, c, a, i, note),
        "reject": lambda u, c, a, i: cases.reject(u, c, a, i, reason),
        "redirect": lambda u, c, a, i: cases.redirect(u, c, a, i, reason),
        "object": lambda u, c, a, i: cases.object_to(u, c, a, i, reason),
        "resume": lambda u, c, a, i: cases.resume(u, c, a, i, reason),
        "decide": lambda u, c, a, i: _decide(u, c, a, i, form),
    }
    if action not in steps:
        raise NotFound(f"no case action {action!r} on this page")
    return steps[action]


@router.post("/console/demands/{demand_id}/case")
async def submit_open_case(request: Request, visitor: StaffVisitor, demand_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    comity = comity_of(request)
    law = law_context(request)
    raw = _text(form, "as_of")
    as_of = parse_day(raw, "law as of") if raw else None
    await run_in_threadpool(
        lambda: cases.open_case(
            comity.intake_uow, comity.clock, visitor.user, demand_id, law, as_of=as_of
        )
    )
    return RedirectResponse(f"/console/demands/{demand_id}#case", status_code=303)


@router.post("/console/cases/{case_id}/{action}")
async def act(request: Request, visitor: StaffVisitor, case_id: str, action: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    comity = comity_of(request)
    step = _step(action, form)
    await run_in_threadpool(step, comity.intake_uow, comity.clock, visitor.user, case_id)
    with comity.reader() as uow:
        demand_id = uow.cases.demand_of(case_id)
    target = f"/console/demands/{demand_id}#case" if demand_id else "/console"
    return RedirectResponse(target, status_code=303)
