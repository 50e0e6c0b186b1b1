"""The audit log as a C2SP tlog-tiles log under ``/log/`` (contract section 9).

``/log/checkpoint`` is the latest signed checkpoint (a C2SP signed note, with any witness
cosignatures), ``/log/tile/<L>/<N>[.p/<W>]`` the hash tiles and ``/log/tile/entries/<N>[.p/<W>]``
the entry bundles. Everything is hashes and audit entries (which name actions and subjects, never
payloads) that the log publishes so anyone can check it: no account is needed, as for CT logs and
the Go checksum database. Headers follow tlog-tiles: the checkpoint is mutable and may be cached a
few seconds; tiles and bundles (partial ones too: a ``.p/<W>`` path always has the same bytes) are
immutable. Bundles are gzip-compressed when the client accepts it ("Entry bundles SHOULD be
compressed at the HTTP layer").
"""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Request, Response

from comity.bootstrap import Comity
from comity.domain.tiles import TileError, parse_tile_path
from comity.entrypoints.api.schemas import ERRORS
from comity.errors import NotFound

router = APIRouter(prefix="/log", tags=["log"], responses=ERRORS)

CHECKPOINT_CACHE = "public, max-age=5"
TILE_CACHE = "public, max-age=31536000, immutable"
_OCTETS = "application/octet-stream"


def _comity(request: Request) -> Comity:
    comity: Comity = request.app.state.comity
    return comity


@router.get("/checkpoint", response_class=Response)
def checkpoint(request: Request) -> Response:
    """The latest signed tree head as a C2SP checkpoint (text/plain signed note)."""
    text = _comity(request).audit_log.served_checkpoint()
    return Response(
        text,
        media_type="text/plain; charset=utf-8",
        headers={"Cache-Control": CHECKPOINT_CACHE},
    )


@router.get("/tile/{path:path}", response_class=Response)
def tile(request: Request, path: str) -> Response:
    """A hash tile or entry bundle of c2sp.org/tlog-tiles; 404 for anything beyond the log."""
    try:
        ref = parse_tile_path(path)
    except TileError as exc:
        raise NotFound(str(exc)) from None
    data = _comity(request).audit_log.tile(ref)
    headers = {"Cache-Control": TILE_CACHE}
    if ref.entries:
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in request.headers.get("accept-encoding", ""):
            data = gzip.compress(data, compresslevel=6, mtime=0)
            headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=_OCTETS, headers=headers)
