"""Productions on the pages: an administrator produces an approved case, staff and requesters
download the signed package.

The pages call ``comity.productions`` (``services/productions.py``), as ``comity produce`` and
the download API do: the authorization, the regional agents' re-check of the law, the package
and every download's audit entry are that service's. A requester's download goes through a
single-agency link created and used at once, so it leaves the same two audit entries
(``production:link:created``, ``production:downloaded``) as the API's.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from comity.bootstrap import Comity
from comity.domain.registry import HANDLERS, User
from comity.entrypoints.web.visitor import (
    RequesterVisitor,
    StaffVisitor,
    checked_form,
    comity_of,
)
from comity.services.part_ports import IN_PROCESS, PartStatus
from comity.services.production_ports import Production

router = APIRouter(include_in_schema=False)


def productions_of(comity: Comity, user: User, demand_id: str) -> list[Production]:
    """The demand's productions this user may see (requesters: published, own agency)."""
    return comity.productions.list_productions(user, demand_id)


def parts_of(
    comity: Comity, user: User, productions: list[Production]
) -> dict[str, list[PartStatus]]:
    """Each unpublished production's parts by region, as the agents report them now (staff who
    handle cases only; a published production's parts are done and not asked about)."""
    if not user.has(HANDLERS):
        return {}
    found = {
        p.id: comity.productions.part_statuses(user, p.id)
        for p in productions
        if p.status in ("producing", "failed")
    }
    # Regions read in-process have no part to show: say nothing rather than "in-process".
    return {pid: parts for pid, parts in found.items() if any(p.state != IN_PROCESS for p in parts)}


def _file(production: Production, path: Path) -> FileResponse:
    encrypted = path.suffix == ".age"
    return FileResponse(
        path,
        media_type="application/octet-stream" if encrypted else "application/x-tar",
        filename=path.name,
        headers={"Comity-Package-SHA256": production.sha256 or ""},
    )


@router.post("/console/demands/{demand_id}/produce")
async def produce(request: Request, visitor: StaffVisitor, demand_id: str) -> Response:
    await checked_form(request, visitor.csrf)
    comity = comity_of(request)
    await run_in_threadpool(comity.productions.produce, visitor.user, demand_id)
    return RedirectResponse(f"/console/demands/{demand_id}#productions", status_code=303)


@router.post("/console/productions/{production_id}/retry")
async def retry(request: Request, visitor: StaffVisitor, production_id: str) -> Response:
    """Whoever may start a production runs a failed one again (``ProductionService.retry``)."""
    await checked_form(request, visitor.csrf)
    service = comity_of(request).productions
    done = await run_in_threadpool(service.retry, visitor.user, production_id)
    return RedirectResponse(f"/console/demands/{done.demand_id}#productions", status_code=303)


@router.post("/console/productions/{production_id}/download")
async def staff_download(request: Request, visitor: StaffVisitor, production_id: str) -> Response:
    await checked_form(request, visitor.csrf)
    service = comity_of(request).productions
    production, path = await run_in_threadpool(service.staff_download, visitor.user, production_id)
    return _file(production, path)


@router.post("/portal/productions/{production_id}/download")
async def requester_download(
    request: Request, visitor: RequesterVisitor, production_id: str
) -> Response:
    await checked_form(request, visitor.csrf)
    service = comity_of(request).productions

    def fetch() -> tuple[Production, Path]:
        token, _link = service.create_link(visitor.user, production_id)
        return service.open_download(visitor.user, token)

    production, path = await run_in_threadpool(fetch)
    return _file(production, path)
