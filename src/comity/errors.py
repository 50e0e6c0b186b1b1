"""One error base class for everything a person can get wrong.

Every problem a user can cause (a bad document, an unknown country, a tampered package) is raised
as a ``ComityError`` whose message is one clear sentence naming what is wrong. The CLI and the API
catch it once at their edge and turn it into a non-zero exit or a 4xx response; anything else that
escapes is a bug. Modelled on sigstore-python's ``Error.diagnostics()``.
"""

from __future__ import annotations


class ComityError(Exception):
    """A problem with input or state that a person can understand and fix."""

    #: Process exit status used by the CLI for this kind of problem.
    exit_code: int = 2
    #: HTTP status used by the API for this kind of problem.
    http_status: int = 400
    #: Stable machine-readable code for the API's error body.
    code: str = "invalid_input"

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems: list[str] = problems or [message]

    def diagnostics(self) -> str:
        """Every problem, one sentence per line, for a person to read."""
        return "\n".join(self.problems)


class InvalidInput(ComityError):
    """A document, file or argument does not have the shape or values required."""


class ConfigurationError(ComityError):
    """The deployment file (``comity.toml``) is missing or invalid."""

    code = "invalid_configuration"


class NotFound(ComityError):
    """A named thing (account, demand, region, entry) does not exist."""

    exit_code = 1
    http_status = 404
    code = "not_found"


class Conflict(ComityError):
    """The request contradicts what is already stored (a duplicate selector, a held record)."""

    exit_code = 1
    http_status = 409
    code = "conflict"


class Forbidden(ComityError):
    """The caller is not allowed to do this."""

    exit_code = 1
    http_status = 403
    code = "forbidden"


class IntegrityError(ComityError):
    """Stored or delivered data failed a cryptographic or consistency check."""

    exit_code = 1
    http_status = 422
    code = "integrity_failure"


def collect(problems: list[str], error_type: type[ComityError] = InvalidInput) -> None:
    """Raise one error carrying every problem found, or nothing if the list is empty.

    Validators gather all the problems of a document before raising, so that a person fixes the
    whole document in one pass instead of one field per attempt.
    """
    if not problems:
        return
    head = problems[0] if len(problems) == 1 else f"{len(problems)} problems: {problems[0]}"
    raise error_type(head, problems=problems)


class IllegalTransition(Conflict):
    """A case action that its current state does not allow (the case workflow's state machine).

    Carries the state, the action and the actions the state does allow, so a person (or the API
    client) can see what to do instead.
    """

    code = "illegal_transition"

    def __init__(self, state: str, action: str, allowed: list[str]) -> None:
        allowed_text = ", ".join(allowed) if allowed else "none (the case is finished)"
        super().__init__(
            f"a case in state {state} cannot {action}; allowed actions: {allowed_text}"
        )
        self.state = state
        self.action = action
        self.allowed = allowed


class Unauthenticated(ComityError):
    """The caller gave no credentials, or credentials that match no one."""

    exit_code = 1
    http_status = 401
    code = "unauthenticated"


class TooManyAttempts(ComityError):
    """Too many failed sign-ins from one e-mail address or client: wait, then try again."""

    exit_code = 1
    http_status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        #: Seconds until the next attempt is accepted (the ``Retry-After`` header).
        self.retry_after = retry_after


class TooLarge(ComityError):
    """A request body or an uploaded file is over its size limit."""

    http_status = 413
    code = "too_large"


class Gone(ComityError):
    """Something that existed is no longer usable (an expired download link)."""

    exit_code = 1
    http_status = 410
    code = "gone"
