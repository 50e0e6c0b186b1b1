"""Productions on the pages: an administrator produces an approved case, staff and requesters
download the signed package.

The pages call ``comity.productions`` (``services/productions/produce.py``), as ``comity
produce`` and the download API do: the authorization, the regional agents' re-check of the law,
the package and every download's audit entry are that service's. A requester's download goes
through a single-agency link created and used at once, so it leaves the same two audit entries
(``production:link:created``, ``production:downloaded``) as the API's.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from comity.bootstrap import Comity
from comity.domain.registry import HANDLERS, User
from comity.entrypoints.downloads import content_disposition
from comity.entrypoints.web.visitor import (
    RequesterVisitor,
    StaffVisitor,
    checked_form,
    comity_of,
)
from comity.services.productions.parts_ports import IN_PROCESS, PartStatus
from comity.services.productions.ports import Production

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
        headers={
            "Content-Disposition": content_disposition(path.name),
            "Comity-Package-SHA256": production.sha256 or "",
        },
    )


def _failed(comity: Comity, user: User, demand_id: str) -> dict[str, str | None]:
    return {p.id: p.reason for p in productions_of(comity, user, demand_id) if p.status == "failed"}


async def _run_showing_failure(
    request: Request,
    user: User,
    demand_id: str,
    run: Callable[[], object],
    only_new: bool = True,
) -> Response:
    """Run a production; when it fails (marked failed, with its reason, for a retry) go back to
    the demand page, whose next step shows the reason and the Retry button, rather than to an
    error page that leaves the person one click from where they can act. A refusal that records
    no failure (a blocked demand, a case not approved) stays the error page with its sentence."""
    comity = comity_of(request)
    before = _failed(comity, user, demand_id)
    try:
        await run_in_threadpool(run)
    except Exception:
        after = _failed(comity, user, demand_id)
        if not after or (only_new and after == before):
            raise
    return RedirectResponse(f"/console/demands/{demand_id}#next", status_code=303)


@router.post("/console/demands/{demand_id}/produce")
async def produce(request: Request, visitor: StaffVisitor, demand_id: str) -> Response:
    await checked_form(request, visitor.csrf)
    service = comity_of(request).productions
    return await _run_showing_failure(
        request, visitor.user, demand_id, lambda: service.produce(visitor.user, demand_id)
    )


@router.post("/console/productions/{production_id}/retry")
async def retry(request: Request, visitor: StaffVisitor, production_id: str) -> Response:
    """Whoever may start a production runs a failed one again (``ProductionService.retry``)."""
    await checked_form(request, visitor.csrf)
    service = comity_of(request).productions
    found = await run_in_threadpool(service.get, visitor.user, production_id)
    return await _run_showing_failure(
        request,
        visitor.user,
        found.demand_id,
        lambda: service.retry(visitor.user, production_id),
        only_new=False,  # failing again with the same reason is still a failure to show
    )


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
