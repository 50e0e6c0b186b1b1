"""Holds, notices, court events and closing, on the case part of the demand page.

Each form calls ``services/cases/holds.py``, as ``comity case ...`` and ``/cases/...`` do: a hold
is carried out by the held region's agent through ``Comity.region_holds`` (so that region
snapshots and refuses to delete those records, ADR 0014), and every change is on the audit log
with the case. A court event is the workflow's own document (``docs/workflow.md``), filled in
through one typed form per kind (``court_forms.py``) or, for what no form offers, as the API's
JSON; either way the service parses it with the domain's strict model and each wrong field is
named. Delayed notice, the enterprise customer to tell and re-assessing an open case take the
API's own input models.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from comity.domain.categories import Category
from comity.domain.inputs import (
    MAX_NESTING,
    DelayIn,
    HoldIn,
    NonDisclosureIn,
    parse_input,
    shape_problem,
)
from comity.entrypoints.api.cases_api import CustomerIn, ReassessIn
from comity.entrypoints.web.case_routes import law_context
from comity.entrypoints.web.court_forms import COURT_KINDS, event_from_form
from comity.entrypoints.web.visitor import StaffVisitor, checked_form, comity_of
from comity.errors import InvalidInput, NotFound
from comity.services.cases import holds as case_holds
from comity.services.cases.reassess import reassess as reassess_case

router = APIRouter(include_in_schema=False)
HOLD_OPS = ("extend", "confirm", "release")
#: A court event's details are a few fields; a page of text is the most a person types.
MAX_DETAILS_CHARS = 20_000


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _categories(form: FormData) -> tuple[Category, ...]:
    chosen = []
    for raw in form.getlist("categories"):
        try:
            chosen.append(Category.parse(str(raw)))
        except ValueError as exc:
            raise InvalidInput(f"categories: {exc}") from None
    if not chosen:
        raise InvalidInput("categories: choose at least one data category to hold")
    return tuple(chosen)


def court_event(form: FormData) -> dict[str, Any]:
    """The court event document: the kind, its typed form's fields, and any JSON details."""
    kind = _text(form, "kind")
    if kind not in COURT_KINDS:
        raise InvalidInput(f"kind: expected one of {', '.join(COURT_KINDS)}, got {kind!r}")
    typed = event_from_form(form, kind)
    raw = _text(form, "details") or "{}"
    if len(raw) > MAX_DETAILS_CHARS:
        raise InvalidInput(f"details: more than {MAX_DETAILS_CHARS} characters")
    try:
        details = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"details: not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise InvalidInput(f"details: nested more than {MAX_NESTING} levels deep") from None
    if why := shape_problem(details, "details"):
        raise InvalidInput(why)
    if not isinstance(details, dict):
        raise InvalidInput('details: expected a JSON object, e.g. {"outcome": "denies"}')
    return {**typed, **details, "kind": kind}


async def _done(request: Request, case_id: str) -> Response:
    comity = comity_of(request)
    with comity.reader() as uow:
        demand_id = uow.cases.demand_of(case_id)
    target = f"/console/demands/{demand_id}#case" if demand_id else "/console"
    return RedirectResponse(target, status_code=303)


@router.post("/console/cases/{case_id}/holds")
async def place_hold(request: Request, visitor: StaffVisitor, case_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    c = comity_of(request)
    hold = parse_input(
        HoldIn,
        {
            "account": _text(form, "account"),
            "categories": list(_categories(form)),
            "region": _text(form, "region"),
            "basis": _text(form, "basis") or "us.2703f",
        },
    )
    await run_in_threadpool(
        lambda: case_holds.place_hold(
            c.intake_uow,
            c.clock,
            c.region_holds,
            visitor.user,
            case_id,
            account=hold.account,
            categories=tuple(hold.categories),
            region=hold.region,
            basis=hold.basis,
        )
    )
    return await _done(request, case_id)


@router.post("/console/cases/{case_id}/holds/{hold_id:path}/{op}")
async def hold_op(
    request: Request, visitor: StaffVisitor, case_id: str, hold_id: str, op: str
) -> Response:
    form = await checked_form(request, visitor.csrf)
    c = comity_of(request)
    if op not in HOLD_OPS:
        raise NotFound(f"no hold action {op!r} (expected {', '.join(HOLD_OPS)})")
    if op == "release":
        reason = _text(form, "reason")
        await run_in_threadpool(
            lambda: case_holds.release_hold(
                c.intake_uow,
                c.clock,
                c.region_holds,
                visitor.user,
                case_id,
                hold_id=hold_id,
                reason=reason,
            )
        )
    else:
        call = case_holds.extend_hold if op == "extend" else case_holds.confirm_hold
        await run_in_threadpool(
            lambda: call(
                c.intake_uow, c.clock, c.region_holds, visitor.user, case_id, hold_id=hold_id
            )
        )
    return await _done(request, case_id)


@router.post("/console/cases/{case_id}/notice/non-disclosure")
async def non_disclosure(request: Request, visitor: StaffVisitor, case_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    c = comity_of(request)
    order = parse_input(
        NonDisclosureIn,
        {"until": _text(form, "until") or None, "indefinite": _text(form, "indefinite") == "yes"},
    )
    await run_in_threadpool(
        lambda: case_holds.set_non_disclosure(
            c.intake_uow,
            c.clock,
            visitor.user,
            case_id,
            until=order.until,
            indefinite=order.indefinite,
        )
    )
    return await _done(request, case_id)


@router.post("/console/cases/{case_id}/notice/give")
async def give_notice(request: Request, visitor: StaffVisitor, case_id: str) -> Response:
    await checked_form(request, visitor.csrf)
    c = comity_of(request)
    await run_in_threadpool(case_holds.give_notice, c.intake_uow, c.clock, visitor.user, case_id)
    return await _done(request, case_id)


@router.post("/console/cases/{case_id}/court")
async def court(request: Request, visitor: StaffVisitor, case_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    c = comity_of(request)
    event = court_event(form)
    await run_in_threadpool(
        lambda: case_holds.record_court(
            c.intake_uow,
            c.clock,
            c.region_holds,
            visitor.user,
            case_id,
            event=event,
        )
    )
    return await _done(request, case_id)


@router.post("/console/cases/{case_id}/close")
async def close(request: Request, visitor: StaffVisitor, case_id: str) -> Response:
    form = await checked_form(request, visitor.csrf)
    c = comity_of(request)
    reason = _text(form, "reason")
    await run_in_threadpool(
        lambda: case_holds.close(
            c.intake_uow,
            c.clock,
            c.region_holds,
            visitor.user,
            case_id,
            reason=reason,
        )
    )
    return await _done(request, case_id)


@router.post("/console/cases/{case_id}/notice/delay")
async def delay_notice(request: Request, visitor: StaffVisitor, case_id: str) -> Response:
    """Delayed notice under 18 U.S.C. 2705(a), as ``POST /cases/{id}/notice/delay``."""
    form = await checked_form(request, visitor.csrf)
    c = comity_of(request)
    start = _text(form, "start")
    delay = parse_input(
        DelayIn,
        {
            "start": f"{start}T00:00:00Z" if len(start) == len("2026-11-30") else start,
            "periods": _text(form, "periods") or "1",
        },
    )
    await run_in_threadpool(
        lambda: case_holds.delay_notice(
            c.intake_uow, c.clock, visitor.user, case_id, start=delay.start, periods=delay.periods
        )
    )
    return await _done(request, case_id)


@router.post("/console/cases/{case_id}/notice/customer")
async def enterprise_customer(request: Request, visitor: StaffVisitor, case_id: str) -> Response:
    """The enterprise customer to tell (as ``POST /cases/{id}/notice/customer``)."""
    form = await checked_form(request, visitor.csrf)
    c = comity_of(request)
    named = parse_input(CustomerIn, {"customer": _text(form, "customer")})
    await run_in_threadpool(
        case_holds.set_customer, c.intake_uow, c.clock, visitor.user, case_id, named.customer
    )
    return await _done(request, case_id)


@router.post("/console/cases/{case_id}/reassess")
async def reassess(request: Request, visitor: StaffVisitor, case_id: str) -> Response:
    """Run the law again on an open case, as of a date (as ``POST /cases/{id}/reassess``)."""
    form = await checked_form(request, visitor.csrf)
    c = comity_of(request)
    body = parse_input(
        ReassessIn, {"reason": _text(form, "reason"), "as_of": _text(form, "as_of") or None}
    )
    law = law_context(request)
    await run_in_threadpool(
        lambda: reassess_case(
            c.intake_uow, c.clock, visitor.user, case_id, law, reason=body.reason, as_of=body.as_of
        )
    )
    return await _done(request, case_id)
