"""The methods a path takes, for the ``Allow`` header of a 405 (API and pages alike)."""

from __future__ import annotations

from fastapi import Request
from starlette.routing import Match, Mount
from starlette.staticfiles import StaticFiles

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route takes at this request's path (RFC 9110 section 15.5.6).

    Starlette answers a wrong method with the methods of the first route whose path matched; a
    path served by several routes (``GET /cases`` and ``POST /cases``) needs them all, so each
    method is tried against the app's routes as the router itself would match it.
    """
    path = request.url.path
    for route in request.app.router.routes:
        # A mounted static directory answers GET and HEAD (StaticFiles), whatever the file; its
        # Mount does not match a scope the mounted app has already rewritten.
        static = isinstance(route, Mount) and isinstance(route.app, StaticFiles)
        if static and path.startswith(route.path + "/"):
            return ["GET", "HEAD"]
    found = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            found.append(method)
    return found
