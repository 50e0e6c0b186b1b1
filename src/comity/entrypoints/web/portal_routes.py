"""The requester portal: an agency's demands, submission by form or JSON file, messages, withdrawal.

A requester sees only their agency's demands: every read goes through ``visible_demand``'s rule,
so another agency's demand is the same "not found" as one that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from comity.domain.case.case import Case
from comity.domain.intake import DemandRecord, DemandStatus
from comity.entrypoints.web import (
    case_routes,
    demand_form,
    production_routes,
    provider_key,
    views,
)
from comity.entrypoints.web.console_routes import file_response
from comity.entrypoints.web.portal_status import plain_status
from comity.entrypoints.web.render import page
from comity.entrypoints.web.visitor import RequesterVisitor, Visitor, checked_form, comity_of
from comity.errors import ComityError, Conflict, InvalidInput
from comity.law.countries import known_countries
from comity.services import messages
from comity.services.cases import actions as cases
from comity.services.cases import queue as case_queue
from comity.services.intake import demands as svc
from comity.services.intake.ports import DemandFilter

router = APIRouter(prefix="/portal", include_in_schema=False)
PAGE = 50
#: The JSON document is small; anything larger is not a demand (the API has the same limit).
MAX_DEMAND_BYTES = 1024 * 1024


@router.get("", response_class=HTMLResponse)
def demands(
    request: Request,
    visitor: RequesterVisitor,
    cursor: Annotated[str, Query(max_length=2000, pattern="^[A-Za-z0-9_-]{0,2000}$")] = "",
) -> HTMLResponse:
    comity = comity_of(request)
    # Newest first: a requester looks for what they just filed.
    found = svc.list_demands(
        comity.reader,
        visitor.user,
        DemandFilter(),
        limit=PAGE,
        after=cursor or None,
        newest_first=True,
    )
    items = found.items
    total = svc.count_demands(comity.reader, visitor.user, DemandFilter())
    lines = case_queue.for_demands(comity.reader, comity.clock, visitor.user, [r.id for r in items])
    statuses = {r.id: plain_status(r, lines[r.id].case if r.id in lines else None) for r in items}
    with comity.reader() as uow:
        agency = uow.intake.get_authority(visitor.user.agency_id or "")
    return page(
        request,
        "portal_list.html",
        visitor,
        items=items,
        total=total,
        next_cursor=found.next,
        first_page=not cursor,
        agency=agency,
        statuses=statuses,
    )


def _submit_page(
    request: Request,
    visitor: Visitor,
    form: FormData | None = None,
    problems: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    comity = comity_of(request)
    with comity.reader() as uow:
        agency = uow.intake.get_authority(visitor.user.agency_id or "")
    values = {k: v for k, v in (form or {}).items() if isinstance(v, str) and k != "csrf"}
    chosen = [str(c) for c in form.getlist("categories")] if form else []
    return page(
        request,
        "portal_submit.html",
        visitor,
        status_code,
        values=values,
        chosen=chosen,
        problems=problems or [],
        agency=agency,
        instruments=demand_form.INSTRUMENTS,
        kinds=demand_form.KINDS,
        categories=demand_form.CATEGORIES,
    )


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request, visitor: RequesterVisitor) -> HTMLResponse:
    return _submit_page(request, visitor)


async def _upload(form: FormData, name: str, limit: int | None = None) -> UploadFile | None:
    value = form.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, UploadFile):
        raise InvalidInput(f"{name}: expected a file upload")
    if not value.filename and (value.size or 0) == 0:
        return None  # the browser sends an empty part for a file input left empty
    if limit is not None and (value.size or 0) > limit:
        raise InvalidInput(f"{name}: the demand document is over {limit} bytes")
    return value


@router.post("/submit", response_class=HTMLResponse)
async def submit(request: Request, visitor: RequesterVisitor) -> Response:
    """File a demand from the form, or from an uploaded JSON document, with its file."""
    form = await checked_form(request, visitor.csrf)
    comity = comity_of(request)
    try:
        upload = await _upload(form, "demand_json", MAX_DEMAND_BYTES)
        body = await upload.read() if upload is not None else demand_form.demand_from_form(form)
        legal = await _upload(form, "file")
        file = None
        if legal is not None:
            file = svc.LegalProcessFile(legal.filename or "legal-process", await legal.read())
        # As the API does: the case opens at once, in the same service call as intake.
        law = None if request.app.state.assessor is None else case_routes.law_context(request)
        record, _ = await run_in_threadpool(
            lambda: cases.file_demand(
                comity.intake_uow,
                comity.clock,
                visitor.user,
                svc.Submission(body, file),
                known_countries=known_countries(),
                max_file_bytes=request.app.state.max_file_bytes,
                vocabulary=svc.vocabulary_of(comity.law_engine),
                law=law,
            )
        )
    except ComityError as exc:
        return _submit_page(request, visitor, form, exc.problems, exc.http_status)
    return RedirectResponse(f"/portal/demands/{record.id}", status_code=303)


@router.get("/demands/{demand_id}", response_class=HTMLResponse)
def demand_page(request: Request, visitor: RequesterVisitor, demand_id: str) -> HTMLResponse:
    comity = comity_of(request)
    record = svc.visible_demand(comity.reader, visitor.user, demand_id)
    with comity.reader() as uow:
        case = uow.cases.for_demand(demand_id)  # visible: the demand is the requester's agency's
    return page(
        request,
        "portal_demand.html",
        visitor,
        record=record,
        status=plain_status(record, case),
        provider_key=provider_key.published(comity),
        rows=views.document_rows(record),
        attachments=svc.list_attachments(comity.reader, visitor.user, demand_id),
        thread=messages.list_messages(comity.console_reader, visitor.user, demand_id),
        productions=production_routes.productions_of(comity, visitor.user, demand_id),
        may_withdraw=_may_withdraw(visitor, record, case),
    )


def _may_withdraw(visitor: Visitor, record: DemandRecord, case: Case | None) -> bool:
    """Only its filer withdraws a demand, and not once its case is past that (delivered, closed)."""
    return (
        record.submitted_by == visitor.user.id
        and record.status is DemandStatus.RECEIVED
        and (case is None or "withdraw" in case.allowed_actions())
    )


@router.get("/demands/{demand_id}/withdraw", response_class=HTMLResponse)
def confirm_withdrawal(request: Request, visitor: RequesterVisitor, demand_id: str) -> HTMLResponse:
    """The confirmation step: what withdrawing does, and the one button that does it.

    A page rather than a script's ``confirm()``: the CSP allows no inline script, and a page
    works with a keyboard and a screen reader. Asking a requester who may not withdraw (another
    person's demand, a delivered case) says so instead of offering the button.
    """
    comity = comity_of(request)
    record = svc.visible_demand(comity.reader, visitor.user, demand_id)
    with comity.reader() as uow:
        case = uow.cases.for_demand(demand_id)
    if not _may_withdraw(visitor, record, case):
        raise Conflict(
            f"demand {demand_id} cannot be withdrawn by you now: only the person who filed it "
            "may, and only before its package is delivered or its case closed"
        )
    return page(request, "portal_withdraw.html", visitor, record=record, case=case)


@router.get("/demands/{demand_id}/files/{attachment_id}")
def demand_file(
    request: Request, visitor: RequesterVisitor, demand_id: str, attachment_id: str
) -> Response:
    meta, content = svc.get_attachment(
        comity_of(request).reader, visitor.user, demand_id, attachment_id
    )
    return file_response(meta.filename, meta.media_type, meta.sha256, content)


@router.post("/demands/{demand_id}/messages")
async def post_message(request: Request, visitor: RequesterVisitor, demand_id: str) -> Response:
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
    return RedirectResponse(f"/portal/demands/{demand_id}#messages", status_code=303)


@router.post("/demands/{demand_id}/withdraw")
async def withdraw(request: Request, visitor: RequesterVisitor, demand_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    comity = comity_of(request)
    reason = str(form.get("reason", ""))
    await run_in_threadpool(
        lambda: cases.withdraw_demand(
            comity.intake_uow, comity.clock, visitor.user, demand_id, reason=reason
        )
    )
    return RedirectResponse(f"/portal/demands/{demand_id}", status_code=303)
