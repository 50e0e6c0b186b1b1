"""The FastAPI application factory. Routers live in their own modules and are included here.

Every ``ComityError`` becomes the one error body shape: ``{"error": {"code", "message",
"problems"}}`` with the error's 4xx status.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from comity import __version__
from comity.bootstrap import Comity
from comity.entrypoints.api import audit_routes
from comity.errors import ComityError


def error_body(code: str, message: str, problems: list[str]) -> dict[str, object]:
    return {"error": {"code": code, "message": message, "problems": problems}}


def create_app(comity: Comity) -> FastAPI:
    app = FastAPI(
        title="Comity",
        version=__version__,
        description="Cross-border government demands for customer data, handled on the record.",
    )
    app.state.comity = comity

    @app.exception_handler(ComityError)
    async def _comity_error(_request: Request, exc: ComityError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.message, exc.problems), status_code=exc.http_status
        )

    @app.get("/health", tags=["meta"])
    def health() -> dict[str, str]:
        """Liveness: the process answers and knows its version."""
        return {"status": "ok", "version": __version__}

    app.include_router(audit_routes.router)
    return app
