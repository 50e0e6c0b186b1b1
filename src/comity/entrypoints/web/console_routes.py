"""The staff console: the queue, a demand's page and the actions intake offers on it.

Every action is a POST form with the session's CSRF token; each calls the same service the API
and the CLI call, so roles, checks and the audit entry are the services' own.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from comity.domain import permissions
from comity.domain.case.transitions import Action as CaseAction
from comity.domain.inputs import parse_day
from comity.domain.intake import CallbackOutcome
from comity.domain.registry import HANDLERS, VERIFIERS
from comity.domain.workflow import WaitingOn
from comity.entrypoints.api.assessments_api import request_assessor
from comity.entrypoints.downloads import content_disposition
from comity.entrypoints.web import case_routes, production_routes, views
from comity.entrypoints.web.render import page
from comity.entrypoints.web.visitor import StaffVisitor, checked_form, comity_of
from comity.errors import InvalidInput
from comity.law.countries import known_countries
from comity.services import messages
from comity.services.assessment import stored as assessments
from comity.services.cases import queue as case_queue
from comity.services.intake import demands as svc
from comity.services.intake.ports import DemandFilter

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE = 50


#: A waiting-on party, or none chosen.
_PARTY = "^(|" + "|".join(w.value for w in WaitingOn) + ")$"
#: A cursor the queue gave out, or none (the first page).
_CURSOR = "^[A-Za-z0-9_-]{0,2000}$"


@router.get("", response_class=HTMLResponse)
def queue(
    *,
    request: Request,
    visitor: StaffVisitor,
    status: Annotated[str, Query(pattern="^(|received|withdrawn|refused)$")] = "",
    emergency: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    blocked: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    agency: Annotated[str, Query(max_length=63)] = "",
    waiting: Annotated[str, Query(pattern=_PARTY)] = "",
    cursor: Annotated[str, Query(max_length=2000, pattern=_CURSOR)] = "",
) -> HTMLResponse:
    """Demands in filing order, or the open cases waiting on one party, soonest deadline first;
    with counts for each quick filter."""
    comity = comity_of(request)
    user = visitor.user
    if waiting:
        lines = case_queue.queue_page(
            comity.reader,
            comity.clock,
            user,
            open_only=True,
            waiting=[waiting],
            limit=PAGE,
            after=cursor or None,
        )
        items = views.demands_of(comity, [i.demand_id for i in lines.items if i.demand_id])
        queue_items = {i.demand_id: i for i in lines.items if i.demand_id}
        next_cursor = lines.next
    else:
        flag = {"yes": True, "no": False, "": None}
        where = DemandFilter(status or None, flag[emergency], agency or None, None, flag[blocked])
        found = svc.list_demands(comity.reader, user, where, limit=PAGE, after=cursor or None)
        items, next_cursor = found.items, found.next
        queue_items = case_queue.for_demands(
            comity.reader, comity.clock, user, [r.id for r in items]
        )
    latest = views.latest_assessments(comity, [r.id for r in items])
    deadlines = {r.id: views.next_deadline(queue_items.get(r.id), latest.get(r.id)) for r in items}
    with comity.reader() as uow:
        agencies = list(uow.intake.list_authorities())
    chosen = {
        "status": status,
        "emergency": emergency,
        "blocked": blocked,
        "agency": agency,
        "waiting": waiting,
    }
    return page(
        request,
        "queue.html",
        visitor,
        items=items,
        next_cursor=next_cursor,
        first_page=not cursor,
        deadlines=deadlines,
        assessed=latest,
        cases=queue_items,
        WAITING_WORDS=views.WAITING_WORDS,
        counts=views.counts(comity, user),
        waiting_counts=case_queue.waiting_counts(comity.reader, user),
        agencies=agencies,
        chosen=chosen,
        query=urlencode({k: v for k, v in chosen.items() if v}),
    )


@router.get("/demands/{demand_id}", response_class=HTMLResponse)
def demand_page(
    request: Request,
    visitor: StaffVisitor,
    demand_id: str,
    assessment: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    comity = comity_of(request)
    user = visitor.user
    record = svc.visible_demand(comity.reader, user, demand_id)
    history = sorted(
        assessments.list_assessments(comity.reader, user, demand_id), key=lambda a: a.created_at
    )
    shown = next((a for a in history if a.id == assessment), history[-1] if history else None)
    with comity.reader() as uow:
        agency = uow.intake.get_authority(record.agency_id) if record.agency_id else None
    accounts = frozenset(
        f["account"] for a in history for f in a.document.get("findings", []) if f.get("account")
    )
    case = case_routes.panel(comity, user, demand_id, accounts)
    made = production_routes.productions_of(comity, user, demand_id)
    subjects = [f"demand/{demand_id}"] + ([case.case.subject] if case else [])
    subjects += [f"production/{p.id}" for p in made]
    subjects += [f"hold/{h.hold_id}" for h in (case.case.holds if case else ())]
    return page(
        request,
        "demand.html",
        visitor,
        record=record,
        rows=views.document_rows(record),
        document=record.document,
        attachments=svc.list_attachments(comity.reader, user, demand_id),
        history=history,
        shown=shown,
        agency=agency,
        thread=messages.list_messages(comity.console_reader, user, demand_id),
        trail=views.trail(comity, subjects),
        case=case,
        productions=made,
        parts=production_routes.parts_of(comity, user, made),
        may_produce=permissions.may(user, CaseAction.START_PRODUCTION)
        and case is not None
        and case.case.state.value in ("approved", "partly_approved"),
        may_retry=permissions.may(user, CaseAction.START_PRODUCTION),
        today=comity.clock.now().date().isoformat(),
        may_handle=user.has(HANDLERS),
        may_verify=user.has(VERIFIERS),
    )


@router.get("/demands/{demand_id}/files/{attachment_id}")
def demand_file(
    request: Request, visitor: StaffVisitor, demand_id: str, attachment_id: str
) -> Response:
    meta, content = svc.get_attachment(
        comity_of(request).reader, visitor.user, demand_id, attachment_id
    )
    return file_response(meta.filename, meta.media_type, meta.sha256, content)


def file_response(filename: str, media_type: str, sha256: str, content: bytes) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(filename), "Digest": sha256},
    )


def _back(demand_id: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/console/demands/{demand_id}#{anchor}", status_code=303)


@router.post("/demands/{demand_id}/assess")
async def assess(request: Request, visitor: StaffVisitor, demand_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    comity = comity_of(request)
    raw = str(form.get("as_of", ""))
    as_of = parse_day(raw, "as of")
    await run_in_threadpool(
        assessments.run_assessment,
        comity.intake_uow,
        comity.clock,
        visitor.user,
        demand_id,
        as_of=as_of,
        assessor=request_assessor(request),
        known_countries=known_countries(),
    )
    return _back(demand_id, "law")


@router.post("/demands/{demand_id}/verify")
async def verify(request: Request, visitor: StaffVisitor, demand_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    comity = comity_of(request)
    note = str(form.get("note", ""))
    await run_in_threadpool(
        svc.verify_demand, comity.intake_uow, comity.clock, visitor.user, demand_id, note=note
    )
    return _back(demand_id, "verification")


@router.post("/demands/{demand_id}/callback")
async def callback(request: Request, visitor: StaffVisitor, demand_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    comity = comity_of(request)
    raw = str(form.get("outcome", ""))
    try:
        outcome = CallbackOutcome(raw)
    except ValueError:
        raise InvalidInput(
            f"outcome: expected confirmed, denied or unreachable, got {raw!r}"
        ) from None
    await run_in_threadpool(
        lambda: svc.record_callback(
            comity.intake_uow,
            comity.clock,
            visitor.user,
            demand_id,
            contact=str(form.get("contact", "")),
            outcome=outcome,
            note=str(form.get("note", "")),
        )
    )
    return _back(demand_id, "callback")


@router.post("/demands/{demand_id}/messages")
async def post_message(request: Request, visitor: StaffVisitor, demand_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    comity = comity_of(request)
    await run_in_threadpool(
        messages.post_message,
        comity.console_uow,
        comity.clock,
        visitor.user,
        demand_id,
        str(form.get("body", "")),
    )
    return _back(demand_id, "messages")


@router.get("/audit/{index}", response_class=HTMLResponse)
def audit_entry(request: Request, visitor: StaffVisitor, index: int) -> HTMLResponse:
    """One log entry, its inclusion proof, and the server's check of every link."""
    if index < 0:
        raise InvalidInput(f"index: expected a log index of 0 or more, got {index}")
    return page(
        request, "proof.html", visitor, index=index, **views.proof(comity_of(request), index)
    )
