"""``comity agent``: a region's agent as its own HTTP service, so the region can live on its own
host. It accepts signed authorizations only, and answers after the same checks as the in-process
agent (signature against the control plane's public key, expiry, region, the law as of now):

- ``POST /release``: the framed records the authorization covers (``framing``), in one stream;
- on a region with a job queue (a PostgreSQL store, ADR 0012), the durable parts:
  ``POST /parts`` queues the region's part of a production (idempotent) and answers its status,
  ``GET /parts/{authorization_id}`` its status, ``POST /parts/records`` a done part's records.
  The agent's worker runs the queued parts in the same process;
- ``POST /holds``: a signed hold instruction (ADR 0014), carried out with the region's own
  sources and store after the same kind of checks (signature, region, current); the answer is
  what was done (the snapshot's record ids and digests, each source's in-place answer).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from comity import __version__
from comity.adapters.agent.framing import MEDIA_TYPE, encode
from comity.adapters.agent.jobs import RegionJobs
from comity.adapters.tls.contexts import peer_role
from comity.domain.authorization import SignedAuthorization
from comity.domain.hold_instruction import SignedHoldInstruction
from comity.errors import ComityError, Forbidden, NotFound, TooLarge
from comity.services.custody.hold_keeper import HoldKeeper
from comity.services.productions.agent import LocalRegionAgent

MAX_AUTHORIZATION_BYTES = 1024 * 1024


def create_agent_app(
    agent: LocalRegionAgent,
    control_plane_key_id: str,
    jobs: RegionJobs | None = None,
    *,
    require_control_plane: bool = False,
    holds: HoldKeeper | None = None,
) -> FastAPI:
    """The agent's app; with ``jobs`` it runs the region's part queue and worker (ADR 0012);
    with ``require_control_plane`` (mutual TLS, ``serve.run_agent``) every request, ``/parts``
    as much as ``/release``, must come over a connection whose client certificate names the
    control plane."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if jobs is None:
            yield
            return
        async with jobs.app.open_async():
            await jobs.ensure_schema()
            now = agent.now()
            await run_in_threadpool(jobs.service.sweep, now)
            worker = asyncio.create_task(jobs.work())
            try:
                yield
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    app = FastAPI(
        title=f"Comity regional agent ({agent.region_id})", version=__version__, lifespan=lifespan
    )

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
    def health() -> dict[str, Any]:
        """The region served, the control-plane key it trusts, and whether it keeps a queue."""
        return {
            "status": "ok",
            "region": agent.region_id,
            "control_plane_key": control_plane_key_id,
            "jobs": jobs is not None,
        }

    @app.post("/release")
    async def release(request: Request) -> StreamingResponse:
        """Release the records a signed authorization covers in this region, as framed records."""
        signed = await _signed(request)
        # Every check happens here, before the 200 (in a thread: it reads the control plane).
        records = await run_in_threadpool(agent.release, signed)
        return _stream(agent.region_id, records)

    def queue() -> RegionJobs:
        if jobs is None:
            raise NotFound(
                f"the agent of region {agent.region_id} keeps no job queue (its store is not "
                "PostgreSQL); the control plane reads it with /release"
            )
        return jobs

    @app.post("/parts")
    async def submit_part(request: Request) -> dict[str, Any]:
        """Queue this region's part of a production (after every check); its status."""
        region_jobs = queue()
        signed = await _signed(request)
        status, new = await run_in_threadpool(region_jobs.service.admit, signed)
        if new:
            await region_jobs.enqueue(status.authorization_id, signed.to_bytes().decode())
        return status.to_document()

    @app.get("/parts/{authorization_id}")
    async def part_status(authorization_id: str) -> dict[str, Any]:
        """Where this region's part of the authorization stands."""
        status = await run_in_threadpool(queue().service.status, authorization_id)
        return status.to_document()

    @app.post("/parts/records")
    async def part_records(request: Request) -> StreamingResponse:
        """A done part's records, after every check once more: this is when they leave."""
        region_jobs = queue()
        signed = await _signed(request)
        records = await run_in_threadpool(region_jobs.service.fetch, signed)
        return _stream(agent.region_id, records)

    @app.post("/holds")
    async def hold(request: Request) -> dict[str, Any]:
        """Carry out a signed hold instruction with this region's sources and store; what was
        done (snapshot record ids and digests, in-place answers)."""
        if holds is None:
            raise NotFound(f"the agent of region {agent.region_id} does not carry out holds")
        signed = SignedHoldInstruction.from_bytes(await _body(request, "a hold instruction"))
        outcome = await run_in_threadpool(holds.hold, signed)
        return outcome.to_document()

    return app


async def _body(request: Request, what: str) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_AUTHORIZATION_BYTES:
            raise TooLarge(f"{what} is at most 1 MiB")
    return bytes(body)


async def _signed(request: Request) -> SignedAuthorization:
    return SignedAuthorization.from_bytes(await _body(request, "a signed authorization"))


def _stream(region_id: str, records: Any) -> StreamingResponse:
    return StreamingResponse(
        encode(records), media_type=MEDIA_TYPE, headers={"Comity-Region": region_id}
    )
