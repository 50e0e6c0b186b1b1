"""``comity witness serve``: Comity as a C2SP tlog-witness, its own small HTTP application.

One route, ``POST /add-checkpoint`` (c2sp.org/tlog-witness), answered by
``adapters.audit.witness.SqlWitness``. A witness is its own service (its key signs for its
operator, a regulator say, not for the provider), so it does not share the provider's API app.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from comity import __version__
from comity.adapters.audit.cosigning import Cosigner, load_or_create_cosigner
from comity.adapters.audit.log_config import witness_service
from comity.adapters.audit.witness import SqlWitness
from comity.bootstrap import Comity
from comity.domain.witness import MAX_BODY_BYTES

WITNESS_KEY_FILE = "witness.key"


def witness_cosigner(comity: Comity) -> Cosigner:
    """This deployment's witness key (``keys/witness.key``), made 0600 on first use."""
    service = witness_service(comity.deployment.extra)
    return load_or_create_cosigner(comity.home / "keys" / WITNESS_KEY_FILE, service.name)


def create_witness_app(comity: Comity) -> FastAPI:
    service = witness_service(comity.deployment.extra)
    witness = SqlWitness(comity.uow, witness_cosigner(comity), service.logs, comity.clock.now)
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
