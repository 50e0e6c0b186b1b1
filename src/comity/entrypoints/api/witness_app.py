"""``comity witness serve``: Comity as a C2SP tlog-witness, its own small HTTP application.

One route, ``POST /add-checkpoint`` (c2sp.org/tlog-witness), answered by the deployment's
witness (``Comity.audit_log.witness()``). A witness is its own service (its key signs for its
operator, a regulator say, not for the provider), so it does not share the provider's API app.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from comity import __version__
from comity.bootstrap import Comity
from comity.domain.witness import MAX_BODY_BYTES


def create_witness_app(comity: Comity) -> FastAPI:
    witness = comity.audit_log.witness()
    app = FastAPI(title="Comity witness", version=__version__, openapi_url=None)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        """Cosign a checkpoint consistent with the latest one this witness cosigned."""
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return Response("request too large\n", status_code=413, media_type="text/plain")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return Response("the request is not UTF-8\n", status_code=400, media_type="text/plain")
        answer = witness.add_checkpoint(text)
        # The content type as given: Starlette would add "; charset=utf-8" to text/x.tlog.size.
        return Response(
            answer.body, status_code=answer.status, headers={"Content-Type": answer.content_type}
        )

    return app
