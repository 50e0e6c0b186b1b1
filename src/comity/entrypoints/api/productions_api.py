"""Productions for requesters and staff: list a demand's productions, make a short-lived
download link, download the package through it (docs/productions.md, "Delivery")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Request, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from comity.entrypoints.downloads import content_disposition
from comity.errors import NotFound
from comity.services import paging
from comity.services.productions.produce import ProductionService

from .paging import DEFAULT_LIMIT, Cursor, Limit, Page
from .schemas import ERRORS
from .security import Caller

router = APIRouter(tags=["productions"], responses={**ERRORS, 410: {"description": "Expired"}})


class ProductionOut(BaseModel):
    id: str
    demand: str
    case: str
    status: str
    sha256: str | None
    size: int | None
    record_count: int | None
    produced_at: datetime
    published_at: datetime | None
    encrypted: bool
    reason: str | None = Field(
        default=None, description="Why a failed or abandoned production stopped."
    )


class LinkIn(BaseModel):
    minutes: int | None = Field(
        default=None, ge=1, le=1440, description="Lifetime; default [api] download_link_minutes."
    )


class LinkOut(BaseModel):
    url: str = Field(description="GET it with the same agency's bearer token, before expiry.")
    token: str
    expires_at: datetime
    production: str


def _service(request: Request) -> ProductionService:
    service: ProductionService = request.app.state.comity.productions
    return service


def _out(doc: dict[str, object]) -> ProductionOut:
    return ProductionOut.model_validate(doc)


@router.get("/demands/{demand_id}/productions", response_model=Page[ProductionOut])
def list_productions(
    request: Request,
    user: Caller,
    demand_id: str,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ProductionOut]:
    """A demand's published productions, oldest first (staff see every production); another
    agency's demand is a 404."""
    found = paging.keyset_page(
        _service(request).list_productions(user, demand_id),
        lambda p: (paging.stamp(p.produced_at), p.id),
        parts=2,
        limit=limit,
        after=cursor,
        what="productions",
    )
    return Page[ProductionOut](items=[_out(p.to_document()) for p in found.items], next=found.next)


@router.get("/productions/{production_id}", response_model=ProductionOut)
def get_production(request: Request, user: Caller, production_id: str) -> ProductionOut:
    """One production, its status and, once failed or abandoned, the reason; another agency's
    is a 404, and requesters see only published ones."""
    production = _service(request).get(user, production_id)
    if not user.is_staff and production.status != "published":
        raise NotFound(f"no production with id {production_id!r}")
    return _out(production.to_document())


@router.post("/productions/{production_id}/retry", response_model=ProductionOut)
def retry_production(request: Request, user: Caller, production_id: str) -> ProductionOut:
    """Run a failed production again (administrators): 409 unless it failed, or while another
    run produces the case."""
    return _out(_service(request).retry(user, production_id).to_document())


@router.post(
    "/productions/{production_id}/links",
    response_model=LinkOut,
    status_code=status.HTTP_201_CREATED,
)
def create_link(
    request: Request,
    user: Caller,
    production_id: str,
    body: Annotated[LinkIn | None, Body()] = None,
) -> LinkOut:
    """A single-agency download link; the token is shown once and stored only as its SHA-256."""
    ttl = timedelta(minutes=body.minutes) if body and body.minutes else None
    token, link = _service(request).create_link(user, production_id, ttl)
    return LinkOut(
        url=f"/downloads/{token}", token=token, expires_at=link.expires_at, production=production_id
    )


@router.get(
    "/downloads/{token}",
    response_class=FileResponse,
    responses={200: {"content": {"application/x-tar": {}}, "description": "The package"}},
)
def download(request: Request, user: Caller, token: str) -> FileResponse:
    """Stream the package (or its age-encrypted form); the download is on the audit log."""
    production, path = _service(request).open_download(user, token)
    encrypted = path.suffix == ".age"
    return FileResponse(
        path,
        media_type="application/octet-stream" if encrypted else "application/x-tar",
        headers={
            "Content-Disposition": content_disposition(path.name),
            "Comity-Package-SHA256": production.sha256 or "",
        },
    )
