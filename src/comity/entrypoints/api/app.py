"""The FastAPI application factory. Routers live in their own modules and are included here.

Every ``ComityError`` becomes the one error body shape: ``{"error": {"code", "message",
"problems"}}`` with the error's 4xx status.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from comity import __version__
from comity.bootstrap import Comity
from comity.domain.court_events import court_event_json_schema
from comity.domain.demand_schema import to_country_refs
from comity.domain.inputs import validation_problems
from comity.entrypoints import web
from comity.entrypoints.api import (
    assessments_api,
    audit_routes,
    demands_api,
    hi1_api,
    log_routes,
    productions_api,
    registry_api,
    reports_api,
)
from comity.entrypoints.api.cases_api import router as cases_router
from comity.entrypoints.api.limits import BodySizeLimit
from comity.entrypoints.api.timing import ServerTiming
from comity.entrypoints.methods import allowed_methods
from comity.errors import ComityError, InvalidInput, TooManyAttempts
from comity.services.intake.demands import MAX_FILE_BYTES
from comity.services.intake.ports import Assessor


def error_body(code: str, message: str, problems: list[str]) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "problems": problems}}


def create_app(
    comity: Comity,
    *,
    assessor: Assessor | None = None,
    max_body_bytes: int = MAX_FILE_BYTES + 2 * 1024 * 1024,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> FastAPI:
    """The API. ``assessor`` is the law engine behind /assessments (None: they answer 503).

    ``comity serve`` passes ``comity.assessor`` (the shipped rule pack, or ``[law] pack``); tests
    may pass a stand-in.
    """
    app = FastAPI(
        title="Comity",
        version=__version__,
        description="Cross-border government demands for customer data, handled on the record.",
    )
    app.state.comity = comity
    app.state.assessor = assessor
    app.state.max_file_bytes = max_file_bytes
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_middleware(ServerTiming)  # outermost: counts everything the application does

    @app.exception_handler(ComityError)
    async def _comity_error(_request: Request, exc: ComityError) -> JSONResponse:
        # RFC 9110 10.2.3 / RFC 6585 4: a 429 says when to come back.
        wait = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
        return JSONResponse(
            error_body(exc.code, exc.message, exc.problems),
            status_code=exc.http_status,
            headers=wait,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # One status for every invalid input, whichever layer finds it (docs/adr/0007).
        problems = validation_problems(exc.errors())
        problems = problems or ["the request does not match the API's schema"]
        head = problems[0] if len(problems) == 1 else f"{len(problems)} problems: {problems[0]}"
        return JSONResponse(
            error_body(InvalidInput.code, head, problems), status_code=InvalidInput.http_status
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            400: InvalidInput.code,
            401: "unauthenticated",
            403: "forbidden",
            404: "not_found",
            405: "bad_method",
        }
        message = str(exc.detail)
        if message == "There was an error parsing the body":  # FastAPI's words for the body
            message = "the request body is not valid JSON, or is nested too deeply to read"
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            message = f"{request.method} is not allowed here; this path takes {', '.join(allowed)}"
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http_error"), message, [message]),
            status_code=exc.status_code,
            headers=headers or None,
        )

    app.include_router(demands_api.router)
    app.include_router(assessments_api.router)
    app.include_router(registry_api.router)
    app.include_router(reports_api.router)

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness: the process answers and knows its version."""
        return {"status": "ok", "version": __version__}

    app.include_router(audit_routes.router)
    app.include_router(log_routes.router)
    app.include_router(productions_api.router)
    app.include_router(cases_router)
    app.include_router(hi1_api.router)
    web.install(app)
    _publish_documents(app, comity)
    return app


def _publish_documents(app: FastAPI, comity: Comity) -> None:
    """Add the input documents the routes read themselves (the demand, a court event) to the
    OpenAPI components: the demand is read as bytes (for its signature), a court event as a
    mapping (its ``at`` defaults to now). The demand's schema lists the countries and the rule
    pack's instruments and US districts, so that what it allows is what intake accepts."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(comity.demand_json_schema()[1])
            # every country field (the demand's, an authority's) refers to the one list
            schema["components"]["schemas"] = to_country_refs(components)
            components = schema["components"]["schemas"]
            components.update(court_event_json_schema())
            court = schema["paths"]["/cases/{case_id}/court"]["post"]["requestBody"]
            court["content"]["application/json"]["schema"] = {
                "$ref": "#/components/schemas/CourtEvent"
            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
