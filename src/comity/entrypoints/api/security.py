"""The caller of every endpoint: a bearer token resolved to a user, before anything else runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from comity.domain.registry import User
from comity.services.identity import authenticate

_bearer = HTTPBearer(auto_error=False, description="An API token from `comity tokens issue`.")


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The caller; runs in the thread pool, as the control plane may be a remote PostgreSQL."""
    token = credentials.credentials if credentials else None
    return authenticate(request.app.state.comity.reader, token)


Caller = Annotated[User, Depends(current_user)]


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str | None:
    """The raw token, for the one endpoint that authenticates inside its own read."""
    return credentials.credentials if credentials else None


BearerToken = Annotated[str | None, Depends(bearer_token)]
