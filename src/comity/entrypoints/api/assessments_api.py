"""``/demands/{id}/assessments`` and ``/assessments/{id}``: the law engine's answers, stored."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from comity.domain.intake import AssessmentRecord
from comity.errors import ComityError
from comity.law.countries import known_countries
from comity.services import paging
from comity.services.assessment import stored as svc
from comity.services.intake.ports import Assessor

from .paging import DEFAULT_LIMIT, Cursor, Limit, Page
from .schemas import ERRORS, AssessIn, AssessmentOut
from .security import Caller

router = APIRouter(tags=["assessments"], responses=ERRORS)


class NoLawEngine(ComityError):
    """The deployment's API was built without a law engine (see ``create_app(assessor=...)``)."""

    http_status = 503
    code = "no_law_engine"


def request_assessor(request: Request) -> Assessor:
    """The law engine the app was built with; 503 when there is none (also used by the console)."""
    assessor: Assessor | None = request.app.state.assessor
    if assessor is None:
        raise NoLawEngine("no law engine is configured in this API process")
    return assessor


def _out(record: AssessmentRecord) -> AssessmentOut:
    return AssessmentOut.model_validate(record.to_document())


@router.post(
    "/demands/{demand_id}/assessments",
    response_model=AssessmentOut,
    status_code=status.HTTP_201_CREATED,
)
def run(request: Request, user: Caller, demand_id: str, body: AssessIn) -> AssessmentOut:
    """Assess the demand as of a date and store the answer with its rule pack digest."""
    comity = request.app.state.comity
    record = svc.run_assessment(
        comity.intake_uow,
        comity.clock,
        user,
        demand_id,
        as_of=body.as_of,
        assessor=request_assessor(request),
        known_countries=known_countries(),
    )
    return _out(record)


@router.get("/demands/{demand_id}/assessments", response_model=Page[AssessmentOut])
def list_(
    request: Request,
    user: Caller,
    demand_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AssessmentOut]:
    """A demand's assessments, oldest first."""
    found = paging.keyset_page(
        svc.list_assessments(request.app.state.comity.reader, user, demand_id),
        lambda r: (paging.stamp(r.created_at), r.id),
        parts=2,
        limit=limit,
        after=cursor,
        what="assessments",
    )
    return Page[AssessmentOut](items=[_out(r) for r in found.items], next=found.next)


@router.get("/assessments/{assessment_id}", response_model=AssessmentOut)
def get(request: Request, user: Caller, assessment_id: str) -> AssessmentOut:
    return _out(svc.get_assessment(request.app.state.comity.reader, user, assessment_id))
