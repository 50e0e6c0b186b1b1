"""``/demands``: submit (JSON or multipart), read, list, withdraw, verify, call back, files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from comity.domain.intake import LEGAL_PROCESS_MEDIA_TYPES, CallbackOutcome, DemandRecord
from comity.domain.signing import HEADER
from comity.entrypoints.downloads import content_disposition
from comity.errors import InvalidInput
from comity.law.countries import known_countries
from comity.services import paging
from comity.services.cases import actions as cases
from comity.services.cases.actions import LawContext
from comity.services.intake import demands as svc
from comity.services.intake.ports import DemandFilter

from .paging import DEFAULT_LIMIT, Cursor, Limit, Page, page_answer
from .schemas import (
    ERRORS,
    AttachmentOut,
    CallbackIn,
    DemandOut,
    DemandStatusOut,
    VerifyIn,
    WithdrawIn,
)
from .security import BearerToken, Caller

router = APIRouter(prefix="/demands", tags=["demands"], responses=ERRORS)

#: Demand documents are small; the legal-process file has its own limit (services.intake.demands).
MAX_DEMAND_BYTES = 1024 * 1024

_SUBMIT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "The demand document (contract section 4) as JSON, or multipart/form-data with a "
            "`demand` part (the JSON) and an optional `file` part (the legal process: PDF, PNG, "
            f'JPEG or TIFF). To sign, send `{HEADER}: keyid="...", sig="..."`: a detached '
            'Ed25519 signature over b"comity-demand-v1\\n" + the exact demand bytes '
            '[+ b"\\n" + the file\'s SHA-256 hex].'
        ),
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Demand"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["demand"],
                    "properties": {
                        "demand": {"$ref": "#/components/schemas/Demand"},
                        "file": {"type": "string", "format": "binary"},
                    },
                },
                # what each part holds: the demand as JSON, the file as one of the media types
                # ``services.demands.check_file`` recognises by its bytes
                "encoding": {
                    "demand": {"contentType": "application/json"},
                    "file": {"contentType": ", ".join(LEGAL_PROCESS_MEDIA_TYPES)},
                },
            },
        },
    }
}


def _out(record: DemandRecord, attachments: list[Any] | None = None) -> DemandOut:
    doc = record.to_document()
    doc["attachments"] = [a.to_document() for a in attachments or []]
    return DemandOut.model_validate(doc)


async def _read_submission(request: Request, signature: str | None) -> svc.Submission:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form(max_files=2, max_fields=4, max_part_size=MAX_DEMAND_BYTES)
        raw = form.get("demand")
        if raw is None:
            raise InvalidInput("demand: the multipart body needs a 'demand' part with the JSON")
        body = await raw.read() if isinstance(raw, UploadFile) else raw.encode("utf-8")
        upload = form.get("file")
        file = None
        if isinstance(upload, UploadFile):
            file = svc.LegalProcessFile(upload.filename or "legal-process", await upload.read())
        elif upload is not None:
            raise InvalidInput("file: expected a file upload, got a text field")
        return svc.Submission(body, file, signature)
    if content_type not in ("application/json", ""):
        raise InvalidInput(
            f"Content-Type: expected application/json or multipart/form-data, got {content_type!r}"
        )
    body = await request.body()
    if len(body) > MAX_DEMAND_BYTES:
        raise InvalidInput(f"the demand document is over {MAX_DEMAND_BYTES} bytes")
    return svc.Submission(body, None, signature)


@router.post(
    "",
    response_model=DemandOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_SUBMIT_BODY,
    responses={200: {"model": DemandOut, "description": "Already filed: the existing demand"}},
)
async def submit(
    request: Request,
    response: Response,
    user: Caller,
    signature: Annotated[str | None, Header(alias=HEADER)] = None,
) -> DemandOut:
    """Submit a demand; the same reference from the same agency returns the existing one (200).

    With a law engine configured, the demand's case opens at once (assessed).
    """
    comity = request.app.state.comity
    submission = await _read_submission(request, signature)
    assessor = request.app.state.assessor
    law = None if assessor is None else LawContext(assessor, comity.deployment, known_countries())

    def file_and_read_back() -> tuple[DemandOut, bool]:
        record, created = cases.file_demand(
            comity.intake_uow,
            comity.clock,
            user,
            submission,
            known_countries=known_countries(),
            max_file_bytes=request.app.state.max_file_bytes,
            vocabulary=svc.vocabulary_of(comity.law_engine),
            law=law,
        )
        return _out(record, svc.list_attachments(comity.reader, user, record.id)), created

    # Off the event loop, in one trip: intake hashes the file, checks signatures and writes; the
    # case opens in the same service call when a law engine is configured (docs/workflow.md);
    # the answer's attachments are read back there too. A read on the event loop stalls every
    # other request of the worker while it waits for the database and the interpreter lock.
    out, created = await run_in_threadpool(file_and_read_back)
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("", response_model=Page[DemandOut])
def list_(
    *,
    request: Request,
    user: Caller,
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(received|withdrawn|refused)$")
    ] = None,
    emergency: bool | None = None,
    blocked: Annotated[bool | None, Query(description="Only demands blocked (or not)")] = None,
    agency: Annotated[str | None, Query(max_length=63)] = None,
    reference: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Demands visible to the caller (a requester sees only their agency's), oldest first."""
    where = DemandFilter(status_, emergency, agency, reference, blocked)
    found = svc.list_demands(
        request.app.state.comity.reader, user, where, limit=limit, after=cursor
    )
    return page_answer(Page[DemandOut](items=[_out(r) for r in found.items], next=found.next))


@router.get("/{demand_id}", response_model=DemandOut)
def get(request: Request, user: Caller, demand_id: str) -> DemandOut:
    uow = request.app.state.comity.reader
    record = svc.visible_demand(uow, user, demand_id)
    return _out(record, svc.list_attachments(uow, user, demand_id))


@router.get("/{demand_id}/status", response_model=DemandStatusOut)
async def get_status(request: Request, token: BearerToken, demand_id: str) -> DemandStatusOut:
    """Where the demand stands, and whether (and why) it is blocked from disclosure.

    Polled by requesters' systems, so it runs on the event loop: one indexed read, cheaper than a
    hop to the thread pool.
    """
    view = svc.demand_status(request.app.state.comity.reader, token, demand_id)
    reason = view.disclosure_blocked_reason
    return DemandStatusOut(
        id=view.id,
        status=view.status,
        verification=view.verification,
        disclosure_blocked=reason is not None,
        disclosure_blocked_reason=reason,
    )


@router.post("/{demand_id}/withdraw", response_model=DemandOut)
def withdraw(
    request: Request, user: Caller, demand_id: str, body: WithdrawIn | None = None
) -> DemandOut:
    """The requester who filed the demand withdraws it (it stays on record, withdrawn)."""
    comity = request.app.state.comity
    record = cases.withdraw_demand(
        comity.intake_uow, comity.clock, user, demand_id, reason=body.reason if body else ""
    )
    return _out(record)


@router.post("/{demand_id}/verify", response_model=DemandOut)
def verify(request: Request, user: Caller, demand_id: str, body: VerifyIn) -> DemandOut:
    """Staff (approver, administrator) record an out-of-band verification of the requester."""
    comity = request.app.state.comity
    return _out(svc.verify_demand(comity.intake_uow, comity.clock, user, demand_id, note=body.note))


@router.post("/{demand_id}/callback", response_model=DemandOut)
def callback(request: Request, user: Caller, demand_id: str, body: CallbackIn) -> DemandOut:
    """Record a call-back to a registry contact; an emergency request needs a confirmed one."""
    comity = request.app.state.comity
    record = svc.record_callback(
        comity.intake_uow,
        comity.clock,
        user,
        demand_id,
        contact=body.contact,
        outcome=CallbackOutcome(body.outcome),
        note=body.note,
    )
    return _out(record)


@router.get("/{demand_id}/attachments", response_model=Page[AttachmentOut])
def attachments(
    request: Request,
    user: Caller,
    demand_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AttachmentOut]:
    found = paging.keyset_page(
        svc.list_attachments(request.app.state.comity.reader, user, demand_id),
        lambda a: (a.id,),
        parts=1,
        limit=limit,
        after=cursor,
        what="attachments",
    )
    items = [AttachmentOut.model_validate(a.to_document()) for a in found.items]
    return Page[AttachmentOut](items=items, next=found.next)


@router.get(
    "/{demand_id}/attachments/{attachment_id}",
    response_class=Response,
    responses={
        200: {
            "content": {media_type: {} for media_type in LEGAL_PROCESS_MEDIA_TYPES},
            "description": "The legal-process file, as the media type its bytes showed",
        }
    },
)
def attachment(request: Request, user: Caller, demand_id: str, attachment_id: str) -> Response:
    meta, content = svc.get_attachment(
        request.app.state.comity.reader, user, demand_id, attachment_id
    )
    return Response(
        content,
        media_type=meta.media_type,
        headers={"Content-Disposition": content_disposition(meta.filename), "Digest": meta.sha256},
    )
