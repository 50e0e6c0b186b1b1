"""Who is calling: API tokens (stored only as SHA-256), passwords (Argon2id), roles and scope.

A token is 256 random bits, shown once when issued; the control plane keeps only its SHA-256, so a
stolen database holds no usable credential. Passwords are hashed with Argon2id (RFC 9106), the
memory-hard function OWASP recommends. Every endpoint resolves the caller with ``authenticate`` and
checks what it may do against the one permission table (``comity.domain.permissions``).

Suspending or blocklisting a staff member (blocklisting anyone) ends their API tokens and console
sessions in the same transaction as the status change, and ``authenticate`` refuses such an
account even if a token were left behind (issue 12: a suspended staff member's tokens kept
working while the console refused them).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import replace

from argon2 import PasswordHasher

from comity.domain import permissions
from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.registry import USER_ID, StaffRole, User, UserStatus
from comity.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated, collect
from comity.services.intake.ports import IntakeUnitOfWork
from comity.services.ports import Clock

TOKEN_PREFIX = "cmy_"  # noqa: S105 - a label that makes leaked tokens easy to scan for
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()

UowFactory = Callable[[], IntakeUnitOfWork]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    if len(password) < 12:
        raise InvalidInput("password: expected at least 12 characters")
    return _hasher.hash(password)


def authenticate(uow_factory: UowFactory, token: str | None) -> User:
    """The user a bearer token belongs to; 401 for none or an unknown one, 403 if blocklisted."""
    with uow_factory() as uow:
        return authenticated(uow, token)


def authenticated(uow: IntakeUnitOfWork, token: str | None) -> User:
    """``authenticate`` inside a unit of work the caller already holds."""
    if not token:
        raise Unauthenticated("no API token: send 'Authorization: Bearer <token>'")
    user = uow.intake.user_for_token(hash_token(token))
    if user is None:
        raise Unauthenticated("the API token is not valid")
    why = permissions.standing_problem(user)
    if why is not None:
        raise Forbidden(f"{why}; its API tokens no longer work")
    return user


def require(user: User, allowed: frozenset[StaffRole]) -> None:
    """Staff in good standing with one of ``allowed`` roles may pass; anyone else is refused.

    Prefer ``permissions.check(user, action)``, which names the action as the table does."""
    why = permissions.standing_problem(user)
    if why is not None:
        raise Forbidden(f"{why}; it may do nothing")
    if not user.has(allowed):
        needed = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(f"this needs a staff member with one of the roles: {needed}")


def _user_problems(user_id: str, name: str, email: str) -> list[str]:
    problems = []
    if not USER_ID.match(user_id):
        problems.append(
            f"id: expected 2-63 lower-case letters, digits, '.', '_' or '-', got {user_id!r}"
        )
    if not name.strip():
        problems.append("name: expected a non-empty name")
    if not _EMAIL.match(email):
        problems.append(f"email: expected an e-mail address, got {email!r}")
    return problems


def create_user(uow_factory: UowFactory, clock: Clock, user: User, *, actor: str) -> User:
    """Store a staff member or requester; a requester's agency must be in the registry."""
    collect(_user_problems(user.id, user.name, user.email))
    if user.is_staff and not user.roles:
        raise InvalidInput("roles: a staff member needs at least one role")
    with uow_factory() as uow:
        if uow.intake.get_user(user.id) is not None:
            raise Conflict(f"a user with id {user.id} already exists")
        if uow.intake.get_user_by_email(user.email) is not None:
            raise Conflict(f"a user with e-mail {user.email} already exists")
        if user.agency_id is not None and uow.intake.get_authority(user.agency_id) is None:
            raise NotFound(f"agency: no authority {user.agency_id!r} in the registry")
        uow.intake.add_user(user, uow.now)
        uow.audit.record(
            AuditEvent.of(
                uow.now, actor, AuditAction.USER_CREATED, f"user/{user.id}", user.to_document()
            )
        )
        uow.commit()
    return user


def set_user_status(
    uow_factory: UowFactory, clock: Clock, user_id: str, status: UserStatus, *, actor: str
) -> User:
    """Suspend, blocklist or reactivate ``user_id``, as ``actor`` (an id).

    409 if ``actor`` is the user (nobody locks themselves out) or the user is the last active
    administrator (the deployment would have nobody to manage it); see ``domain.permissions``.
    When the new standing may do nothing, the user's tokens and sessions end in the same
    transaction, and the audit entry says how many.
    """
    with uow_factory() as uow:
        user = uow.intake.get_user(user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id!r}")
        admins = [u for u in uow.intake.list_users() if u.has(frozenset({StaffRole.ADMINISTRATOR}))]
        permissions.check_status_change(actor, user, status, admins)
        user = replace(user, status=status)
        uow.intake.update_user(user)
        payload: dict[str, object] = {"status": status.value}
        if permissions.standing_problem(user) is not None:
            payload["credentials_revoked"] = uow.intake.revoke_credentials(user.id)
        uow.audit.record(
            AuditEvent.of(uow.now, actor, AuditAction.USER_STATUS, f"user/{user.id}", payload)
        )
        uow.commit()
    return user


def issue_token(
    uow_factory: UowFactory, clock: Clock, user_id: str, *, label: str, actor: str
) -> str:
    """A new token for ``user_id``, returned once; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with uow_factory() as uow:
        user = uow.intake.get_user(user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id!r}")
        why = permissions.standing_problem(user)
        if why is not None:
            raise Forbidden(f"{why}; no token is issued")
        uow.intake.add_token(hash_token(token), user_id, label, uow.now)
        uow.audit.record(
            AuditEvent.of(
                uow.now,
                actor,
                AuditAction.TOKEN_ISSUED,
                f"user/{user_id}",
                {"label": label, "token_sha256": hash_token(token)},
            )
        )
        uow.commit()
    return token


def list_users(uow_factory: UowFactory, agency_id: str | None = None) -> list[User]:
    with uow_factory() as uow:
        return list(uow.intake.list_users(agency_id))
