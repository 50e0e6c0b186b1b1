"""Auditor API: the latest signed checkpoint, proofs and entries.

Checkpoints and proofs are hashes only, so anyone (an outside auditor, a witness) may fetch them
without an account. An entry names actors and subjects (user and demand ids), so it is for staff
only; requesters never read the log. Everything here can be checked offline against the published
verifier key (``comity audit key``): the checkpoint is a C2SP signed note, the proofs are RFC 9162
inclusion and consistency proofs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from comity.bootstrap import Comity
from comity.domain import permissions
from comity.entrypoints.api.schemas import ERRORS
from comity.entrypoints.api.security import Caller

router = APIRouter(prefix="/audit", tags=["audit"], responses=ERRORS)


def _comity(request: Request) -> Comity:
    comity: Comity = request.app.state.comity
    return comity


@router.get("/checkpoint")
def checkpoint(request: Request) -> dict[str, object]:
    """The latest signed tree head: size, base64 root and the signed note text."""
    return _comity(request).audit_log.checkpoint()


@router.get("/proof/inclusion")
def inclusion(
    request: Request,
    index: Annotated[int, Query(ge=0)],
    size: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, object]:
    """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` (default: the head)."""
    return _comity(request).audit_log.inclusion(index, size)


@router.get("/proof/consistency")
def consistency(
    request: Request,
    first: Annotated[int, Query(ge=0)],
    second: Annotated[int | None, Query(ge=0)] = None,
) -> dict[str, object]:
    """RFC 9162 consistency proof that tree ``second`` (default: the head) extends ``first``."""
    return _comity(request).audit_log.consistency(first, second)


@router.get("/entries/{index}")
def entry(request: Request, index: int, caller: Caller) -> dict[str, object]:
    """One entry's canonical JSON (time, actor, action, subject, payload digest) and leaf hash."""
    permissions.check(caller, permissions.Action.READ_INTERNAL)
    return _comity(request).audit_log.entry(index)
