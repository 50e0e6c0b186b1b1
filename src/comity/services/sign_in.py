"""Signing in to the console and portal: password, TOTP second factor, and browser sessions.

Staff always need a second factor (Google's law-enforcement portal makes two-factor mandatory;
the console can approve disclosures); requesters need one once enrolled. Codes are RFC 6238 TOTP
(30-second steps, one step of clock drift either way) and a step once accepted is spent, so a
code read over someone's shoulder cannot be replayed. Every failure gives the same sentence, so
the form does not tell an attacker which of e-mail, password or code was wrong.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from comity.domain.audit import AuditAction, AuditEvent
from comity.domain.console import TotpEnrolment, WebSession
from comity.domain.registry import User, UserStatus
from comity.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from comity.services.console_ports import ConsoleUnitOfWork
from comity.services.identity import TOKEN_PREFIX, hash_password, hash_token
from comity.services.ports import Clock

ConsoleUowFactory = Callable[[], ConsoleUnitOfWork]

#: A working day; a browser left signed in overnight must sign in again.
SESSION_LIFETIME = timedelta(hours=8)
TOTP_STEP_SECONDS = 30
ISSUER = "Comity"
_hasher = PasswordHasher()
#: Verified against when the e-mail is unknown, so both failures take the same time.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")
WRONG = "the e-mail address, password or code is not right"


@dataclass(frozen=True)
class SignedIn:
    user: User
    session: WebSession
    #: The cookie value, shown to the browser once; only its SHA-256 is stored.
    token: str


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app scans (or reads as text)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def enrol_totp(uow_factory: ConsoleUowFactory, clock: Clock, user_id: str, *, actor: str) -> str:
    """Give ``user_id`` a new TOTP secret (replacing any old one) and return it, once."""
    secret = pyotp.random_base32()
    with uow_factory() as uow:
        if uow.intake.get_user(user_id) is None:
            raise NotFound(f"no user with id {user_id!r}")
        uow.console.set_totp(TotpEnrolment(user_id, secret, -1), uow.now)
        uow.audit.record(
            AuditEvent.of(uow.now, actor, AuditAction.USER_TOTP_ENROLLED, f"user/{user_id}", {})
        )
        uow.commit()
    return secret


def set_password(
    uow_factory: ConsoleUowFactory, clock: Clock, user_id: str, password: str, *, actor: str
) -> None:
    """Set ``user_id``'s password (Argon2id); the log records that it changed, not the hash."""
    hashed = hash_password(password)
    with uow_factory() as uow:
        user = uow.intake.get_user(user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id!r}")
        uow.intake.update_user(replace(user, password_hash=hashed))
        uow.audit.record(
            AuditEvent.of(uow.now, actor, AuditAction.USER_PASSWORD_SET, f"user/{user_id}", {})
        )
        uow.commit()


def _password_ok(user: User | None, password: str) -> bool:
    stored = user.password_hash if user is not None else None
    ok: bool
    try:
        ok = _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and stored is not None


def _accepted_step(enrolment: TotpEnrolment, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), if not yet spent."""
    code = code.strip().replace(" ", "")
    if not code.isdigit():
        return None
    totp = pyotp.TOTP(enrolment.secret)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if step > enrolment.last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _verified_user(
    uow: ConsoleUnitOfWork, email: str, password: str, code: str, now: datetime
) -> tuple[User, str]:
    """The active user these credentials prove, and the factors used; the TOTP step is spent.

    One check for every way in (the console and portal form, ``POST /auth/token``): an API
    token lets its holder approve disclosures as much as a console session does, so it needs
    the same second factor (issue: the token endpoint once took a staff password alone)."""
    if not email.strip() or not password:
        raise InvalidInput("e-mail address and password: both are needed to sign in")
    user = uow.intake.get_user_by_email(email.strip().lower())
    if not _password_ok(user, password) or user is None:
        raise Unauthenticated(WRONG)
    if user.status is not UserStatus.ACTIVE:
        raise Forbidden(f"the account {user.id} is {user.status.value}; it cannot sign in")
    enrolment = uow.console.get_totp(user.id)
    if enrolment is None and user.is_staff:
        raise Forbidden(
            "staff sign-in needs a second factor and none is enrolled for this account; "
            f"an operator runs 'comity users totp {user.id}'"
        )
    if enrolment is None:
        return user, "password"
    step = _accepted_step(enrolment, code, now)
    if step is None:
        raise Unauthenticated(WRONG)
    uow.console.set_totp(replace(enrolment, last_step=step), now)
    return user, "password+totp"


def sign_in(
    uow_factory: ConsoleUowFactory, clock: Clock, email: str, password: str, code: str
) -> SignedIn:
    """Check e-mail, password and (when needed) the TOTP code; start a session on success."""
    now = clock.now()
    with uow_factory() as uow:
        user, factor = _verified_user(uow, email, password, code, now)
        token = secrets.token_urlsafe(32)
        session = WebSession(
            hash_token(token), user.id, secrets.token_urlsafe(32), now, now + SESSION_LIFETIME
        )
        uow.console.delete_expired_sessions(user.id, now)  # a signed-in user's old ones go
        uow.console.add_session(session)
        uow.audit.record(
            AuditEvent.of(
                now,
                user.id,
                AuditAction.USER_SIGNED_IN,
                f"user/{user.id}",
                {"session_sha256": session.token_hash, "factors": factor},
            )
        )
        uow.commit()
    return SignedIn(user, session, token)


def api_token(
    uow_factory: ConsoleUowFactory,
    clock: Clock,
    email: str,
    password: str,
    code: str,
    *,
    label: str,
) -> str:
    """A new API token for whoever these credentials prove (the same checks as ``sign_in``),
    returned once; only its SHA-256 is kept, and its issue is on the audit log with the factors
    that proved it."""
    now = clock.now()
    with uow_factory() as uow:
        user, factor = _verified_user(uow, email, password, code, now)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        uow.intake.add_token(hash_token(token), user.id, label, now)
        uow.audit.record(
            AuditEvent.of(
                now,
                user.id,
                AuditAction.TOKEN_ISSUED,
                f"user/{user.id}",
                {"label": label, "token_sha256": hash_token(token), "factors": factor},
            )
        )
        uow.commit()
    return token


def session_user(
    uow_factory: ConsoleUowFactory, clock: Clock, token: str | None
) -> tuple[User, WebSession] | None:
    """The user and session behind a cookie, or None if it is unknown, expired or suspended."""
    if not token:
        return None
    with uow_factory() as uow:
        session = uow.console.get_session(hash_token(token))
        if session is None or not session.is_live(clock.now()):
            return None
        user = uow.intake.get_user(session.user_id)
    if user is None or user.status is not UserStatus.ACTIVE:
        return None
    return user, session


def sign_out(uow_factory: ConsoleUowFactory, clock: Clock, token: str) -> None:
    """End the session behind ``token`` (if any), on the record."""
    with uow_factory() as uow:
        session = uow.console.get_session(hash_token(token))
        if session is None:
            return
        uow.console.delete_session(session.token_hash)
        uow.audit.record(
            AuditEvent.of(
                uow.now,
                session.user_id,
                AuditAction.USER_SIGNED_OUT,
                f"user/{session.user_id}",
                {"session_sha256": session.token_hash},
            )
        )
        uow.commit()
