"""Staff endpoints: the authority registry, requesters and their tokens, account lookup; login."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, status
from pydantic import BaseModel, Field

from comity.domain import permissions
from comity.domain.accounts import SELECTOR_TYPES, Selector, selector_problem
from comity.domain.registry import AuthorityStatus, User, UserStatus
from comity.errors import NotFound
from comity.law.countries import known_countries
from comity.services import identity, paging, registry, sign_in
from comity.services.accounts import find_account

from .paging import DEFAULT_LIMIT, Cursor, Limit, Page
from .schemas import (
    ERRORS,
    AccountOut,
    AuthorityIn,
    AuthorityOut,
    ErrorBody,
    LoginIn,
    RequesterIn,
    StatusIn,
    TokenOut,
    UserOut,
    UserStatusIn,
)
from .security import Caller

router = APIRouter(responses=ERRORS)

_AUTHORITY_EXAMPLE: dict[str, Any] = {
    "id": "us-usms",
    "name": "United States Marshals Service",
    "country": "US",
    "kind": "agency",
    "domains": ["usmarshals.gov"],
    "contacts": [
        {
            "name": "USMS communications center",
            "phone": "+12025551000",
            "source": "usmarshals.gov/contact, 2026-11",
        }
    ],
    # the base64 of a raw 32-byte Ed25519 public key (this one is RFC 8032's first test key)
    "keys": [{"key_id": "usms-2026", "ed25519": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}],
}


def _authority_out(authority: Any) -> AuthorityOut:
    return AuthorityOut.model_validate(authority.to_document())


@router.get("/whoami", response_model=UserOut, tags=["identity"])
def whoami(user: Caller) -> UserOut:
    """The caller, as the API sees them."""
    return UserOut.model_validate(user.to_document())


class ActionsOut(BaseModel):
    """What the caller may do now, from the permission table (``comity.domain.permissions``)."""

    actions: list[str] = Field(examples=[["read", "read_internal", "handle_demand"]])


@router.get("/whoami/actions", response_model=ActionsOut, tags=["identity"])
def my_actions(user: Caller) -> ActionsOut:
    """The actions the caller's roles and standing allow (a case's own steps are listed in its
    ``allowed_actions``), so a client offers only what the server will accept."""
    return ActionsOut(actions=permissions.allowed_actions(user))


@router.post(
    "/auth/token",
    response_model=TokenOut,
    tags=["identity"],
    responses={
        429: {
            "model": ErrorBody,
            "description": "Too many failed sign-ins for this address or client; see Retry-After",
        }
    },
)
def login(request: Request, body: LoginIn) -> TokenOut:
    """Exchange an e-mail address, password (Argon2id-hashed at rest) and, for staff and for
    anyone enrolled, the TOTP code for an API token: the console's checks and its throttle."""
    comity = request.app.state.comity
    client = request.client.host if request.client else "unknown"
    token = comity.sign_in_throttle.attempt(
        body.email,
        client,
        comity.clock.now(),
        lambda: sign_in.api_token(
            comity.console_uow, comity.clock, body.email, body.password, body.code, label=body.label
        ),
    )
    return TokenOut(token=token)


@router.get("/authorities", response_model=Page[AuthorityOut], tags=["registry"])
def list_authorities(
    request: Request, user: Caller, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[AuthorityOut]:
    permissions.check(user, permissions.Action.READ_INTERNAL)
    found = paging.keyset_page(
        registry.list_authorities(request.app.state.comity.reader),
        lambda a: (a.id,),
        parts=1,
        limit=limit,
        after=cursor,
        what="authorities",
    )
    return Page[AuthorityOut](items=[_authority_out(a) for a in found.items], next=found.next)


@router.post(
    "/authorities",
    response_model=AuthorityOut,
    status_code=status.HTTP_201_CREATED,
    tags=["registry"],
)
def add_authority(
    request: Request,
    user: Caller,
    doc: Annotated[AuthorityIn, Body(examples=[_AUTHORITY_EXAMPLE])],
) -> AuthorityOut:
    """Register an authority with contacts staff found themselves (administrators only)."""
    permissions.check(user, permissions.Action.MANAGE_REGISTRY)
    comity = request.app.state.comity
    authority = registry.add_authority(
        comity.intake_uow,
        comity.clock,
        doc.model_dump(exclude_unset=True),
        known_countries=known_countries(),
        actor=user.id,
    )
    return _authority_out(authority)


@router.get("/authorities/{authority_id}", response_model=AuthorityOut, tags=["registry"])
def get_authority(request: Request, user: Caller, authority_id: str) -> AuthorityOut:
    permissions.check(user, permissions.Action.READ_INTERNAL)
    return _authority_out(registry.get_authority(request.app.state.comity.reader, authority_id))


@router.post("/authorities/{authority_id}/status", response_model=AuthorityOut, tags=["registry"])
def set_authority_status(
    request: Request, user: Caller, authority_id: str, body: StatusIn
) -> AuthorityOut:
    """Verify, suspend or blocklist an authority (administrators only)."""
    permissions.check(user, permissions.Action.MANAGE_REGISTRY)
    comity = request.app.state.comity
    authority = registry.set_authority_status(
        comity.intake_uow,
        comity.clock,
        authority_id,
        AuthorityStatus(body.status),
        actor=user.id,
        note=body.note,
    )
    return _authority_out(authority)


@router.get("/requesters", response_model=Page[UserOut], tags=["registry"])
def list_requesters(
    request: Request,
    user: Caller,
    agency: Annotated[str | None, Query(max_length=63)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[UserOut]:
    permissions.check(user, permissions.Action.READ_INTERNAL)
    users = identity.list_users(request.app.state.comity.reader, agency)
    found = paging.keyset_page(
        [u for u in users if not u.is_staff],
        lambda u: (u.id,),
        parts=1,
        limit=limit,
        after=cursor,
        what="requesters",
    )
    items = [UserOut.model_validate(u.to_document()) for u in found.items]
    return Page[UserOut](items=items, next=found.next)


@router.post(
    "/requesters", response_model=UserOut, status_code=status.HTTP_201_CREATED, tags=["registry"]
)
def add_requester(request: Request, user: Caller, body: RequesterIn) -> UserOut:
    """Create a requester account in a registered agency (administrators only)."""
    permissions.check(user, permissions.Action.MANAGE_USERS)
    comity = request.app.state.comity
    created = identity.create_user(
        comity.intake_uow,
        comity.clock,
        User(
            body.id,
            body.name,
            body.email.lower(),
            agency_id=body.agency,
            may_file_emergency=body.may_file_emergency,
            may_download=body.may_download,
        ),
        actor=user.id,
    )
    return UserOut.model_validate(created.to_document())


@router.post("/users/{user_id}/status", response_model=UserOut, tags=["registry"])
def set_user_status(request: Request, user: Caller, user_id: str, body: UserStatusIn) -> UserOut:
    """Suspend, blocklist or reactivate a user (administrators; never their own account or the
    last active administrator: 409)."""
    permissions.check(user, permissions.Action.SET_USER_STATUS)
    comity = request.app.state.comity
    changed = identity.set_user_status(
        comity.intake_uow, comity.clock, user_id, UserStatus(body.status), actor=user.id
    )
    return UserOut.model_validate(changed.to_document())


@router.get("/accounts/lookup", response_model=AccountOut, tags=["accounts"])
def lookup_account(
    request: Request,
    user: Caller,
    type_: Annotated[str, Query(alias="type", pattern="^(" + "|".join(SELECTOR_TYPES) + ")$")],
    value: Annotated[str, Query(min_length=1, max_length=320)],
) -> AccountOut:
    """The account a selector names (staff only), with where each category is stored."""
    permissions.check(user, permissions.Action.READ_INTERNAL)
    why = selector_problem(type_, value)
    if why:  # no account can have such a selector: the lookup finds none
        raise NotFound(f"no account: value {why}")
    account = find_account(request.app.state.comity.read_only, Selector.normalise(type_, value))
    if account is None:
        raise NotFound(f"no account has the selector {type_}:{value}")
    return AccountOut.model_validate(account.to_document())
