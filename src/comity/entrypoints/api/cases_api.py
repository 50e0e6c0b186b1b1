"""``/cases``: the case workflow over HTTP, and ``/due``.

Staff read every case and act within their roles (the workflow checks them); a requester sees
only cases of their agency's demands, without the internal review (any other case is a 404), and
may only withdraw. Every action answers with the case as the caller may see it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field

from comity.bootstrap import Comity
from comity.domain import inputs
from comity.domain.inputs import (
    DecisionIn,
    DelayIn,
    HoldIn,
    NonDisclosureIn,
    NoteIn,
    ReasonIn,
)
from comity.domain.registry import User
from comity.domain.workflow import Case, Period, WaitingOn
from comity.entrypoints.api.assessments_api import NoLawEngine
from comity.law.countries import known_countries
from comity.services.cases import actions as cases
from comity.services.cases import due as case_due
from comity.services.cases import holds as case_holds
from comity.services.cases import queue as case_queue
from comity.services.cases.access import CaseView
from comity.services.cases.actions import LawContext
from comity.services.cases.reassess import reassess as reassess_case

from .paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_answer
from .schemas import ERRORS, CaseLineOut, DueItemOut
from .security import Caller

router = APIRouter(tags=["cases"], responses=ERRORS)

Doc = dict[str, Any]
Text = Annotated[inputs.Text, Field(min_length=1, max_length=4000)]
Note = Annotated[inputs.Text, Field(max_length=4000)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenIn(_In):
    demand_id: Annotated[inputs.Line, Field(min_length=1, max_length=63)]
    as_of: inputs.Day | None = None


class OptionalReasonIn(_In):
    reason: Note = ""


class CustomerIn(_In):
    customer: Annotated[inputs.Line, Field(min_length=1, max_length=300)]


class ReassessIn(_In):
    reason: Text
    as_of: inputs.Day | None = None


def _comity(request: Request) -> Comity:
    comity: Comity = request.app.state.comity
    return comity


def _law(request: Request) -> LawContext:
    assessor = request.app.state.assessor
    if assessor is None:
        raise NoLawEngine("no law engine is configured in this API process")
    return LawContext(assessor, _comity(request).deployment, known_countries())


def _view(request: Request, user: User, case: Case | str) -> Doc:
    """The case after an action, as the caller may see it."""
    comity = _comity(request)
    case_id = case if isinstance(case, str) else case.case_id
    view: CaseView = cases.get_case(comity.intake_uow, comity.clock, user, case_id)
    return view.to_document(internal=user.is_staff)


_PARTIES = "^(" + "|".join(w.value for w in WaitingOn) + ")$"


@router.get("/cases", response_model=Page[CaseLineOut], response_model_exclude_unset=True)
def list_(  # noqa: PLR0917 - the queue's filters and its page
    request: Request,
    user: Caller,
    state: Annotated[list[str] | None, Query(max_length=12)] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    emergency: bool | None = None,
    waiting_on: Annotated[
        list[str] | None,
        Query(
            max_length=6,
            description="only cases waiting on these parties (staff)",
            json_schema_extra={"items": {"type": "string", "pattern": _PARTIES}},
        ),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """The queue, the most urgent first (a requester: their agency's cases only).

    ``waiting_on`` (repeatable) keeps the cases waiting on legal review, approval by a second
    person, the requester, a court, production or nobody.
    """
    comity = _comity(request)
    found = case_queue.queue_lines(
        comity.reader,
        comity.clock,
        user,
        states=state,
        open_only=open_only,
        emergency=emergency,
        waiting=waiting_on,
        limit=limit,
        after=cursor,
    )
    internal = user.is_staff
    items = [CaseLineOut.model_validate(i.to_document(internal=internal)) for i in found.items]
    return page_answer(Page[CaseLineOut](items=items, next=found.next), exclude_unset=True)


@router.post("/cases", response_model=Doc, status_code=status.HTTP_201_CREATED)
def open_(request: Request, user: Caller, body: OpenIn) -> Doc:
    """Open the case of a stored demand that has none (staff; needs the law engine)."""
    comity = _comity(request)
    case = cases.open_case(
        comity.intake_uow, comity.clock, user, body.demand_id, _law(request), as_of=body.as_of
    )
    return _view(request, user, case)


@router.get("/cases/{case_id}", response_model=Doc)
def get(request: Request, user: Caller, case_id: str) -> Doc:
    comity = _comity(request)
    view = cases.get_case(comity.reader, comity.clock, user, case_id)
    return view.to_document(internal=user.is_staff)


@router.post("/cases/{case_id}/review", response_model=Doc)
def review(request: Request, user: Caller, case_id: str) -> Doc:
    c = _comity(request)
    return _view(request, user, cases.start_review(c.intake_uow, c.clock, user, case_id))


@router.post("/cases/{case_id}/decisions", response_model=Doc)
def decide(request: Request, user: Caller, case_id: str, body: DecisionIn) -> Doc:
    """Decide one finding (``target|category|region``): produce, withhold, or narrow."""
    c = _comity(request)
    case = cases.decide(
        c.intake_uow,
        c.clock,
        user,
        case_id,
        finding=body.finding,
        decision=body.decision,
        period=Period(start=body.period.start, end=body.period.end) if body.period else None,
        justification=body.justification,
    )
    return _view(request, user, case)


@router.post("/cases/{case_id}/recommend", response_model=Doc)
def recommend(request: Request, user: Caller, case_id: str, body: NoteIn | None = None) -> Doc:
    c = _comity(request)
    note = body.note if body else None
    return _view(request, user, cases.recommend(c.intake_uow, c.clock, user, case_id, note))


@router.post("/cases/{case_id}/approve", response_model=Doc)
def approve(request: Request, user: Caller, case_id: str) -> Doc:
    """Four eyes: an approver other than the reviewer who recommended."""
    c = _comity(request)
    return _view(request, user, cases.approve(c.intake_uow, c.clock, user, case_id))


@router.post("/cases/{case_id}/reject", response_model=Doc)
def reject(request: Request, user: Caller, case_id: str, body: ReasonIn) -> Doc:
    c = _comity(request)
    return _view(request, user, cases.reject(c.intake_uow, c.clock, user, case_id, body.reason))


@router.post("/cases/{case_id}/redirect", response_model=Doc)
def redirect(request: Request, user: Caller, case_id: str, body: ReasonIn) -> Doc:
    c = _comity(request)
    case = cases.redirect(c.intake_uow, c.clock, user, case_id, body.reason)
    return _view(request, user, case)


@router.post("/cases/{case_id}/object", response_model=Doc)
def object_(request: Request, user: Caller, case_id: str, body: ReasonIn) -> Doc:
    c = _comity(request)
    case = cases.object_to(c.intake_uow, c.clock, user, case_id, body.reason)
    return _view(request, user, case)


@router.post("/cases/{case_id}/resume", response_model=Doc)
def resume(request: Request, user: Caller, case_id: str, body: ReasonIn) -> Doc:
    c = _comity(request)
    return _view(request, user, cases.resume(c.intake_uow, c.clock, user, case_id, body.reason))


@router.post("/cases/{case_id}/close", response_model=Doc)
def close(request: Request, user: Caller, case_id: str, body: ReasonIn) -> Doc:
    """Close with a written outcome (administrator); holds are released in the regions."""
    c = _comity(request)
    case = case_holds.close(
        c.intake_uow,
        c.clock,
        c.region_holds,
        user,
        case_id,
        reason=body.reason,
    )
    return _view(request, user, case)


@router.post("/cases/{case_id}/withdraw", response_model=Doc)
def withdraw(
    request: Request, user: Caller, case_id: str, body: OptionalReasonIn | None = None
) -> Doc:
    """The requester who filed the demand withdraws it, and its case."""
    c = _comity(request)
    reason = body.reason if body else ""
    case = cases.withdraw(c.intake_uow, c.clock, user, case_id, reason=reason)
    return _view(request, user, case)


@router.post("/cases/{case_id}/holds", response_model=Doc, status_code=status.HTTP_201_CREATED)
def place_hold(request: Request, user: Caller, case_id: str, body: HoldIn) -> Doc:
    """Preserve an account's categories in a region; the region refuses their deletion."""
    c = _comity(request)
    case = case_holds.place_hold(
        c.intake_uow,
        c.clock,
        c.region_holds,
        user,
        case_id,
        account=body.account,
        categories=tuple(body.categories),
        region=body.region,
        basis=body.basis,
    )
    return _view(request, user, case)


@router.post("/cases/{case_id}/holds/{hold_id:path}/extend", response_model=Doc)
def extend_hold(request: Request, user: Caller, case_id: str, hold_id: str) -> Doc:
    c = _comity(request)
    case = case_holds.extend_hold(
        c.intake_uow, c.clock, c.region_holds, user, case_id, hold_id=hold_id
    )
    return _view(request, user, case)


@router.post("/cases/{case_id}/holds/{hold_id:path}/confirm", response_model=Doc)
def confirm_hold(request: Request, user: Caller, case_id: str, hold_id: str) -> Doc:
    c = _comity(request)
    case = case_holds.confirm_hold(
        c.intake_uow, c.clock, c.region_holds, user, case_id, hold_id=hold_id
    )
    return _view(request, user, case)


@router.post("/cases/{case_id}/holds/{hold_id:path}/release", response_model=Doc)
def release_hold(request: Request, user: Caller, case_id: str, hold_id: str, body: ReasonIn) -> Doc:
    c = _comity(request)
    case = case_holds.release_hold(
        c.intake_uow,
        c.clock,
        c.region_holds,
        user,
        case_id,
        hold_id=hold_id,
        reason=body.reason,
    )
    return _view(request, user, case)


@router.post("/cases/{case_id}/notice/non-disclosure", response_model=Doc)
def non_disclosure(request: Request, user: Caller, case_id: str, body: NonDisclosureIn) -> Doc:
    c = _comity(request)
    case = case_holds.set_non_disclosure(
        c.intake_uow, c.clock, user, case_id, until=body.until, indefinite=body.indefinite
    )
    return _view(request, user, case)


@router.post("/cases/{case_id}/notice/delay", response_model=Doc)
def delay(request: Request, user: Caller, case_id: str, body: DelayIn) -> Doc:
    c = _comity(request)
    case = case_holds.delay_notice(
        c.intake_uow, c.clock, user, case_id, start=body.start, periods=body.periods
    )
    return _view(request, user, case)


@router.post("/cases/{case_id}/notice/customer", response_model=Doc)
def customer(request: Request, user: Caller, case_id: str, body: CustomerIn) -> Doc:
    c = _comity(request)
    case = case_holds.set_customer(c.intake_uow, c.clock, user, case_id, body.customer)
    return _view(request, user, case)


@router.post("/cases/{case_id}/notice/give", response_model=Doc)
def give_notice(request: Request, user: Caller, case_id: str) -> Doc:
    c = _comity(request)
    return _view(request, user, case_holds.give_notice(c.intake_uow, c.clock, user, case_id))


@router.post("/cases/{case_id}/court", response_model=Doc)
def court(request: Request, user: Caller, case_id: str, body: dict[str, Any]) -> Doc:
    """Record a court event: ``{"kind": "ruling", "outcome": "grants", ...}`` (docs/workflow.md)."""
    c = _comity(request)
    case = case_holds.record_court(c.intake_uow, c.clock, c.region_holds, user, case_id, event=body)
    return _view(request, user, case)


@router.post("/cases/{case_id}/reassess", response_model=Doc)
def reassess(request: Request, user: Caller, case_id: str, body: ReassessIn) -> Doc:
    """Re-assess as of a new date; the answer says what changed, field by field."""
    c = _comity(request)
    result = reassess_case(
        c.intake_uow, c.clock, user, case_id, _law(request), reason=body.reason, as_of=body.as_of
    )
    doc = _view(request, user, result.case)
    doc["reassessment"] = {
        "assessment": result.assessment_id,
        "basis": result.basis,
        "diff": result.diff,
    }
    return doc


@router.get("/due", response_model=Page[DueItemOut])
def due(
    request: Request,
    user: Caller,
    within: Annotated[
        str,
        Query(
            max_length=16,
            description="48h, 3d, 90m, 2w: a whole number of minutes, hours, days or weeks, "
            "at most 731 days",
            json_schema_extra={"pattern": case_due.WINDOW_PATTERN},
        ),
    ] = "48h",
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """What is overdue and what falls due within the window, across every case (staff).

    Soonest first; each deadline says whether it had passed when the list was read.
    """
    c = _comity(request)
    window = case_due.parse_window(within)
    found = case_due.due(c.reader, c.clock, user, within=window, limit=limit, after=cursor).page()
    items = [DueItemOut.model_validate(i) for i in found.items]
    return page_answer(Page[DueItemOut](items=items, next=found.next))
