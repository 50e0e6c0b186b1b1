"""The web console (staff) and portal (requesters), served by the API's application.

``install(app)`` adds the pages, the static files and the security headers, and makes errors on
the pages answer as pages (the API keeps its JSON error body): a page that needs a sign-in
redirects to it, a requester on a staff page goes to the portal, and a ``ComityError`` renders
its sentences with its 4xx status.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from comity.domain.inputs import validation_problems
from comity.entrypoints.methods import allowed_methods
from comity.entrypoints.web import (
    auth_routes,
    case_holds_routes,
    case_routes,
    console_routes,
    ireland,
    portal_routes,
    production_routes,
    provider_key,
)
from comity.entrypoints.web.headers import WEB_PREFIXES, SecurityHeaders
from comity.entrypoints.web.render import HERE, page
from comity.entrypoints.web.visitor import SignInNeeded, Visitor, WrongSide, current_visitor
from comity.errors import ComityError, InvalidInput


def _is_page(request: Request) -> bool:
    path = request.url.path
    return path == "/" or path.startswith(WEB_PREFIXES)


def _signed_in(request: Request) -> Visitor | None:
    """Who is signed in, for the error page's header (a signed-in person keeps their header);
    if even that cannot be read, the page is shown signed out rather than not at all."""
    try:
        return current_visitor(request)
    except Exception:
        return None


async def _answer(result: Response | Awaitable[Response]) -> Response:
    return await result if inspect.isawaitable(result) else result


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    routers = (
        auth_routes,
        console_routes,
        case_holds_routes,  # before case_routes: its paths are more specific than /{action}
        case_routes,
        production_routes,
        portal_routes,
        ireland,
        provider_key,
    )
    for router in (r.router for r in routers):
        app.include_router(router)
    app.add_middleware(SecurityHeaders)
    api_comity_error = app.exception_handlers[ComityError]
    api_http_error = app.exception_handlers[StarletteHTTPException]
    api_invalid = app.exception_handlers[RequestValidationError]

    async def sign_in_needed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SignInNeeded)
        return RedirectResponse(f"/sign-in?next={quote(exc.next_path)}", status_code=303)

    async def wrong_side(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, WrongSide)
        return RedirectResponse(exc.home, status_code=303)

    async def comity_error(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            return await _answer(api_comity_error(request, exc))
        assert isinstance(exc, ComityError)
        return page(
            request,
            "error.html",
            _signed_in(request),
            exc.http_status,
            title=exc.message,
            problems=exc.problems,
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            return await _answer(api_http_error(request, exc))
        assert isinstance(exc, StarletteHTTPException)
        detail = str(exc.detail)
        allowed = allowed_methods(request) if exc.status_code == 405 else []
        if allowed:  # RFC 9110 15.5.6: a 405 lists what the path does take
            detail = f"{request.method} is not allowed here; this page takes {', '.join(allowed)}"
        answer = page(
            request,
            "error.html",
            _signed_in(request),
            exc.status_code,
            title=detail,
            problems=[detail],
        )
        if exc.status_code == 405:
            answer.headers["Allow"] = ", ".join(allowed)
        return answer

    async def invalid_request(request: Request, exc: Exception) -> Response:
        if not _is_page(request):
            return await _answer(api_invalid(request, exc))
        assert isinstance(exc, RequestValidationError)
        problems = validation_problems(exc.errors()) or [
            "the request does not match what this page takes"
        ]
        status = InvalidInput.http_status  # one status for invalid input (docs/adr/0007)
        return page(
            request,
            "error.html",
            _signed_in(request),
            status,
            title=problems[0],
            problems=problems,
        )

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(WrongSide, wrong_side)
    app.add_exception_handler(ComityError, comity_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
