"""The provider's published signing key and the public page that tells how to check a package.

Why public, with no sign-in: a package is checked by whoever holds it (the requester, their
prosecutor, a court, defence counsel), and the key only proves who signed; it discloses nothing.
The key is served at one stable address, ``/keys/provider.pub.pem``, with its fingerprint, so it
can be compared with the copy inside a package and with one published elsewhere (the provider's
law-enforcement guidelines), which is what makes the signature mean something.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from comity.bootstrap import Comity
from comity.entrypoints.web.render import page
from comity.entrypoints.web.visitor import comity_of, current_visitor

router = APIRouter()
KEY_PATH = "/keys/provider.pub.pem"
CHECK_PATH = "/check-a-package"


@dataclass(frozen=True)
class PublishedKey:
    """The provider's public key as requesters see it."""

    pem: str
    #: ``ed25519:`` and 16 hex digits: the id a package's bag-info.txt names (Comity-Signing-Key).
    key_id: str
    #: SHA-256 of the raw 32-byte public key, in full (its first 16 digits are the key id's).
    fingerprint: str


def published(comity: Comity) -> PublishedKey:
    """The key that signs this deployment's packages (``keys/provider.pem``'s public half)."""
    public = comity.provider_key.public
    return PublishedKey(public.pem().decode("ascii"), public.key_id, public.fingerprint)


@router.get(
    KEY_PATH,
    tags=["keys"],
    response_class=Response,
    responses={200: {"content": {"application/x-pem-file": {}}}},
)
def provider_public_key(request: Request) -> Response:
    """The provider's Ed25519 public key (PEM, SubjectPublicKeyInfo), which signs every package.

    Its fingerprint is in the ``Comity-Key-Fingerprint`` header and on ``/check-a-package``.
    """
    key = published(comity_of(request))
    return Response(
        key.pem,
        media_type="application/x-pem-file",
        headers={
            "Content-Disposition": 'inline; filename="provider.pub.pem"',
            "Comity-Key-Id": key.key_id,
            "Comity-Key-Fingerprint": "sha256:" + key.fingerprint,
            # Short: a rotated key must reach requesters the same day.
            "Cache-Control": "public, max-age=300",
        },
    )


@router.get(CHECK_PATH, response_class=HTMLResponse, include_in_schema=False)
def check_a_package(request: Request) -> HTMLResponse:
    """How to check a package: with standard tools, or in this browser without installing."""
    return page(
        request,
        "check_package.html",
        current_visitor(request),
        key=published(comity_of(request)),
        key_url=str(request.base_url).rstrip("/") + KEY_PATH,
        key_path=KEY_PATH,
    )
