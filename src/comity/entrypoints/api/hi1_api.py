"""``/hi1``: ETSI TS 103 120 (HI-1) requests in, HI-1 answers out (docs/etsi.md).

``POST /hi1`` takes an HI-1 request as XML or JSON and answers in the same form: CREATE files
each authorisation as a demand through intake, GET returns an object's status, GETCSPCONFIG what
Comity accepts per region. Warnings about fields Comity does not keep come back as
``Comity-Warning`` headers (one each) and are in the audit log. The status notification of a
demand and the DeliveryObject of a production are fetched from the two routes below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from comity.adapters.controlplane.etsi_repo import etsi_uow_factory
from comity.adapters.countries import known_countries
from comity.adapters.etsi import codec
from comity.bootstrap import Comity
from comity.errors import InvalidInput
from comity.services.cases import LawContext
from comity.services.etsi import hi1
from comity.services.etsi.message import Element
from comity.services.etsi.ports import EtsiUowFactory

from .schemas import ERRORS
from .security import Caller

router = APIRouter(prefix="/hi1", tags=["hi1"], responses=ERRORS)

_MEDIA = {"xml": "application/xml", "json": "application/json"}
_BODY = {
    "requestBody": {
        "required": True,
        "description": "An HI1Message (ETSI TS 103 120) as XML or JSON; a JSON message may carry "
        "an EdDSA JWS in Signature, verified against the sender's registered keys.",
        "content": {
            "application/xml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}
Format = Annotated[str, Query(alias="format", pattern="^(xml|json)$")]
_HI1_OUT: dict[str, Any] = {"application/xml": {}, "application/json": {}}
_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": _HI1_OUT, "description": "An HI-1 response (nothing new filed)"},
    201: {"content": _HI1_OUT, "description": "An HI-1 response; a demand was filed"},
}


def _uow(comity: Comity) -> EtsiUowFactory:
    return etsi_uow_factory(comity.engine, comity.clock.now, comity.audit_signer)


def _reply(message: Element, form: str, code: int = status.HTTP_200_OK) -> Response:
    body = codec.to_xml(message) if form == "xml" else codec.to_json(message)
    return Response(body, status_code=code, media_type=_MEDIA[form])


def _ascii(text: str) -> str:
    return text.encode("ascii", "replace").decode("ascii")


@router.post("", openapi_extra=_BODY, response_class=Response, responses=_ANSWERS)
async def post_message(
    request: Request,
    user: Caller,
    instrument: Annotated[
        str | None, Query(max_length=63, description="Instrument id if the message names none")
    ] = None,
) -> Response:
    """Answer an HI-1 request; 201 when it filed a demand, 200 otherwise."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("application/xml", "text/xml", "application/json", ""):
        raise InvalidInput(
            f"Content-Type: expected application/xml or application/json, got {content_type!r}"
        )
    comity: Comity = request.app.state.comity
    parsed = codec.parse(await request.body())
    assessor = request.app.state.assessor
    # each demand's case opens in the same service call that files it (docs/workflow.md)
    law = None if assessor is None else LawContext(assessor, comity.deployment, known_countries())
    answer = await run_in_threadpool(
        hi1.handle,
        _uow(comity),
        comity.clock,
        user,
        parsed,
        known_countries=known_countries(),
        regions=[(r.id, r.country) for r in comity.deployment.regions],
        instrument=instrument,
        max_file_bytes=request.app.state.max_file_bytes,
        law=law,
    )
    created = any(i.created for i in answer.demands) and not answer.replayed
    response = _reply(
        answer.message, parsed.form, status.HTTP_201_CREATED if created else status.HTTP_200_OK
    )
    for warning in answer.warnings:
        response.headers.append("Comity-Warning", _ascii(warning))
    return response


@router.get(
    "/demands/{demand_id}/status",
    response_class=Response,
    responses={200: {"content": _HI1_OUT, "description": "An HI-1 notification"}},
)
def demand_status(request: Request, user: Caller, demand_id: str, form: Format = "xml") -> Response:
    """The HI-1 notification of an imported demand: each object's status now."""
    comity: Comity = request.app.state.comity
    return _reply(hi1.status_message(_uow(comity), comity.clock, user, demand_id), form)


@router.post(
    "/productions/{production_id}/delivery",
    response_class=Response,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"content": _HI1_OUT, "description": "An HI-1 DELIVER message"}},
)
def production_delivery(
    request: Request, user: Caller, production_id: str, form: Format = "xml"
) -> Response:
    """A download link for a published production, as the HI-1 DeliveryObject pointing at it."""
    comity: Comity = request.app.state.comity

    def link() -> tuple[str, datetime | None]:
        token, made = comity.productions.create_link(user, production_id)
        return str(request.url_for("download", token=token)), made.expires_at

    message = hi1.delivery_message(_uow(comity), comity.clock, user, production_id, link=link)
    return _reply(message, form, status.HTTP_201_CREATED)
