"""Who is at the browser: the session cookie resolved to a user, and the CSRF check on forms.

The cookie holds a random 256-bit token (the control plane stores only its SHA-256), HttpOnly so
no script can read it, SameSite=Strict so no other site's page can send it, and Secure whenever
the console is reached over https. Every POST form carries the session's CSRF token as well
(defence in depth for browsers that ignore SameSite); the sign-in form, before any session,
carries a double-submit token that must match its own short-lived cookie.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from starlette.datastructures import FormData

from comity.bootstrap import Comity
from comity.domain.console import WebSession
from comity.domain.registry import User
from comity.errors import Forbidden
from comity.services.sign_in import session_user

SESSION_COOKIE = "comity_session"
SIGN_IN_COOKIE = "comity_sign_in"
#: A demand JSON and its legal-process file, a few fields; the body limit caps the total.
MAX_FIELDS = 60
STALE_FORM = "this form is stale or did not come from Comity; reload the page and send it again"


class SignInNeeded(Exception):
    """Raised by a page that needs a signed-in visitor; answered with a redirect to sign in."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class WrongSide(Exception):
    """A requester on a staff page or the other way round: sent to their own home page."""

    def __init__(self, home: str) -> None:
        super().__init__(home)
        self.home = home


@dataclass(frozen=True)
class Visitor:
    user: User
    session: WebSession

    @property
    def csrf(self) -> str:
        return self.session.csrf

    @property
    def home(self) -> str:
        return "/console" if self.user.is_staff else "/portal"


def comity_of(request: Request) -> Comity:
    comity: Comity = request.app.state.comity
    return comity


def current_visitor(request: Request) -> Visitor | None:
    comity = comity_of(request)
    found = session_user(comity.console_reader, comity.clock, request.cookies.get(SESSION_COOKIE))
    return None if found is None else Visitor(*found)


def _needs(request: Request, staff: bool) -> Visitor:
    visitor = current_visitor(request)
    if visitor is None:
        raise SignInNeeded(request.url.path)
    if visitor.user.is_staff != staff:
        raise WrongSide(visitor.home)
    return visitor


def staff_visitor(request: Request) -> Visitor:
    return _needs(request, staff=True)


def requester_visitor(request: Request) -> Visitor:
    return _needs(request, staff=False)


StaffVisitor = Annotated[Visitor, Depends(staff_visitor)]
RequesterVisitor = Annotated[Visitor, Depends(requester_visitor)]


async def read_form(request: Request) -> FormData:
    return await request.form(max_files=3, max_fields=MAX_FIELDS)


async def checked_form(request: Request, expected: str) -> FormData:
    """The posted form, once its ``csrf`` field matches ``expected``; 403 otherwise."""
    form = await read_form(request)
    sent = form.get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Forbidden(STALE_FORM)
    return form


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def forget_cookie(response: Response, request: Request, name: str) -> None:
    """Expire ``name`` with the same attributes it was set with."""
    response.delete_cookie(
        name, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


def sign_in_token(request: Request) -> str:
    """The sign-in form's double-submit token: the cookie's, or a new one."""
    return request.cookies.get(SIGN_IN_COOKIE) or secrets.token_urlsafe(32)
