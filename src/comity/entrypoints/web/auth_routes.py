"""Sign-in and sign-out. One form (e-mail, password, code), one answer for any wrong part."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from comity.entrypoints.web.render import page
from comity.entrypoints.web.visitor import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    STALE_FORM,
    checked_form,
    comity_of,
    current_visitor,
    forget_cookie,
    set_cookie,
    sign_in_token,
)
from comity.errors import ComityError
from comity.services.sign_in import SESSION_LIFETIME, sign_in, sign_out

router = APIRouter(include_in_schema=False)


def _safe_next(value: str | None) -> str | None:
    """Only a path on this site: never an open redirect to another."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


@router.get("/")
def home(request: Request) -> RedirectResponse:
    visitor = current_visitor(request)
    return RedirectResponse(visitor.home if visitor else "/sign-in", status_code=303)


def _form(
    request: Request, *, error: str | None = None, email: str = "", status_code: int = 200
) -> HTMLResponse:
    token = sign_in_token(request)
    response = page(
        request,
        "sign_in.html",
        None,
        status_code,
        token=token,
        error=error,
        email=email,
        next=_safe_next(request.query_params.get("next")) or "",
    )
    set_cookie(response, request, SIGN_IN_COOKIE, token, max_age=3600)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> HTMLResponse:
    return _form(request)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in_post(
    *,
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    code: Annotated[str, Form(max_length=16)] = "",
    csrf: Annotated[str, Form(max_length=128)] = "",
    next_path: Annotated[str, Form(alias="next", max_length=500)] = "",
) -> Response:
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf.encode()):
        return _form(request, error=STALE_FORM, email=email, status_code=403)
    comity = comity_of(request)
    client = request.client.host if request.client else "unknown"
    try:
        signed = comity.sign_in_throttle.attempt(
            email,
            client,
            comity.clock.now(),
            lambda: sign_in(comity.console_uow, comity.clock, email, password, code),
        )
    except ComityError as exc:
        return _form(request, error=exc.message, email=email, status_code=exc.http_status)
    home = "/console" if signed.user.is_staff else "/portal"
    wanted = _safe_next(next_path)
    target = wanted if wanted and wanted.startswith(home) else home
    response = RedirectResponse(target, status_code=303)
    lifetime = int(SESSION_LIFETIME.total_seconds())
    set_cookie(response, request, SESSION_COOKIE, signed.token, max_age=lifetime)
    forget_cookie(response, request, SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
async def sign_out_post(request: Request) -> Response:
    visitor = await run_in_threadpool(current_visitor, request)
    if visitor is not None:
        await checked_form(request, visitor.csrf)
        comity = comity_of(request)
        token = request.cookies.get(SESSION_COOKIE, "")
        await run_in_threadpool(sign_out, comity.console_uow, comity.clock, token)
    response = RedirectResponse("/sign-in", status_code=303)
    forget_cookie(response, request, SESSION_COOKIE)
    return response
