"""``comity agent``: a region's agent as its own HTTP service, so the region can live on its own
host. It accepts one thing only: ``POST /release`` with a signed authorization, and answers with
the framed records it covers (``framing``), after the same checks as the in-process agent
(signature against the control plane's public key, expiry, region, the law as of now)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from comity import __version__
from comity.adapters.agent.framing import MEDIA_TYPE, encode
from comity.adapters.tls.contexts import peer_role
from comity.domain.authorization import SignedAuthorization
from comity.errors import ComityError, Forbidden, TooLarge
from comity.services.agent import LocalRegionAgent

MAX_AUTHORIZATION_BYTES = 1024 * 1024


def create_agent_app(
    agent: LocalRegionAgent, control_plane_key_id: str, *, require_control_plane: bool = False
) -> FastAPI:
    """The agent's app; with ``require_control_plane`` (mutual TLS, ``serve.run_agent``) every
    request must come over a connection whose client certificate names the control plane."""
    app = FastAPI(title=f"Comity regional agent ({agent.region_id})", version=__version__)

    @app.exception_handler(ComityError)
    async def _error(_request: Request, exc: ComityError) -> JSONResponse:
        body = {"error": {"code": exc.code, "message": exc.message, "problems": exc.problems}}
        return JSONResponse(body, status_code=exc.http_status)

    @app.middleware("http")
    async def _control_plane_only(request: Request, call_next: Any) -> Any:
        if require_control_plane:
            tls = request.scope.get("extensions", {}).get("tls") or {}
            role = peer_role(tls.get("client_cert_der"))
            if role != "control-plane":
                named = "no certificate" if role is None else f"a certificate naming {role}"
                error = Forbidden(
                    f"the agent of region {agent.region_id} serves only the control plane; the "
                    f"client presented {named}, so nothing is released"
                )
                return await _error(request, error)
        return await call_next(request)

    @app.get("/health")
    def health() -> dict[str, str]:
        """The region served and the control-plane key it trusts."""
        return {
            "status": "ok",
            "region": agent.region_id,
            "control_plane_key": control_plane_key_id,
        }

    @app.post("/release")
    async def release(request: Request) -> StreamingResponse:
        """Release the records a signed authorization covers in this region, as framed records."""
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_AUTHORIZATION_BYTES:
                raise TooLarge("a signed authorization is at most 1 MiB")
        signed = SignedAuthorization.from_bytes(bytes(body))
        # Every check happens here, before the 200 (in a thread: it reads the control plane).
        records = await run_in_threadpool(agent.release, signed)
        return StreamingResponse(
            encode(records),
            media_type=MEDIA_TYPE,
            headers={"Comity-Region": agent.region_id},
        )

    return app
