"""Response and request bodies of the intake API, so the OpenAPI schema says what comes back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from comity.domain.demand_schema import COUNTRY_JSON_SCHEMA
from comity.domain.inputs import (
    EMAIL_PATTERN,
    FILLED_LINE_PATTERN,
    FILLED_TEXT_PATTERN,
    LINE_PATTERN,
    Day,
    Line,
    Text,
)
from comity.domain.registry import AUTHORITY_ID, DOMAIN_PATTERN, USER_ID


class ErrorDetail(BaseModel):
    code: str
    message: str
    problems: list[str]


class ErrorBody(BaseModel):
    """The one shape of every 4xx answer."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": what}
    for status, what in (
        (400, "Invalid input (any field, parameter or body): one sentence per problem"),
        (401, "No or unknown API token"),
        (403, "The caller's role or scope does not allow this"),
        (404, "Not found (or not visible to the caller)"),
        (409, "Conflicts with what is stored"),
        (413, "Request body or file too large"),
        (422, "A stored or delivered package failed an integrity check"),
    )
}


class FraudSignOut(BaseModel):
    code: str
    message: str


class CallbackOut(BaseModel):
    contact: str
    outcome: str
    by: str
    at: str
    note: str


class AttachmentOut(BaseModel):
    id: str
    demand: str
    filename: str
    media_type: str
    size: int
    sha256: str


class DemandOut(BaseModel):
    id: str
    reference: str
    status: str
    received_at: str
    submitted_by: str
    agency: str | None
    verification: str
    signature_key_id: str | None
    verified_by: str | None
    emergency: bool
    fraud_signs: list[FraudSignOut]
    callbacks: list[CallbackOut]
    disclosure_blocked: bool
    disclosure_blocked_reason: str | None
    withdrawn_at: str | None
    document: dict[str, Any]
    attachments: list[AttachmentOut] = Field(default_factory=list)


class DemandStatusOut(BaseModel):
    id: str
    status: str
    verification: str
    disclosure_blocked: bool
    disclosure_blocked_reason: str | None


class DeadlineOut(BaseModel):
    """One thing due by ``due_at`` (UTC), and why (``comity.domain.deadlines.Deadline``)."""

    kind: str
    subject: str
    due_at: str
    citation: str
    rule: str
    description: str


class CaseLineOut(BaseModel):
    """One line of the queue; the fields after ``received_at`` are for staff only."""

    id: str
    demand: str | None
    reference: str
    instrument: str
    state: str
    received_at: str
    waiting_on: str | None = Field(
        default=None,
        description="review, approval, requester, court, production or nobody (staff only)",
    )
    next_deadline: DeadlineOut | None = None
    overdue: int | None = Field(default=None, description="open deadlines past (staff only)")
    allowed_actions: list[str] | None = None


class DueItemOut(DeadlineOut):
    """A deadline with its case, and whether it had passed when the list was read."""

    case: str
    reference: str
    state: str
    overdue: bool


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = Field(default="", max_length=2000)


class VerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Text = Field(
        min_length=1,
        max_length=2000,
        description="How the requester was verified: whom you reached, how",
        json_schema_extra={"pattern": FILLED_TEXT_PATTERN},
    )


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    contact: Line = Field(min_length=1, max_length=300, description="Name of a registry contact")
    outcome: str = Field(pattern="^(confirmed|denied|unreachable)$")
    note: Text = Field(default="", max_length=2000)


class AssessIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: Day


class AssessmentOut(BaseModel):
    id: str
    demand: str
    as_of: str
    rule_pack_digest: str
    created_by: str
    created_at: str
    assessment: dict[str, Any]


class ContactOut(BaseModel):
    name: str
    phone: str | None
    email: str | None
    source: str


class KeyOut(BaseModel):
    key_id: str
    ed25519: str


#: A non-empty line of text (a contact's phone or e-mail: one of them is needed).
_SOME_LINE: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": LINE_PATTERN}
#: A raw Ed25519 public key (32 bytes) in padded base64: 43 characters, the last carrying four
#: bits and two zero bits, then "=".
ED25519_BASE64_PATTERN = "^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$"


class ContactIn(BaseModel):
    """A contact staff found themselves (never from a request), with a phone or an e-mail."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]},
    )
    name: Line
    phone: Annotated[Line | None, WithJsonSchema(_SOME_LINE)] = None
    email: Annotated[Line | None, WithJsonSchema(_SOME_LINE)] = None
    source: Line = Field(
        json_schema_extra={"pattern": FILLED_LINE_PATTERN},
        description="Where staff found it (never the request itself)",
    )


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key_id: Line = Field(min_length=1)
    ed25519: str = Field(
        description="Base64 of the raw 32-byte public key",
        json_schema_extra={"pattern": ED25519_BASE64_PATTERN},
    )


class AuthorityIn(BaseModel):
    """An authority for the registry, as staff found it. ``domain.registry.parse_authority``
    checks it (the one parse, shared with the CLI); this model publishes exactly what that
    accepts, so the OpenAPI description can be trusted by a client."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(json_schema_extra={"pattern": AUTHORITY_ID.pattern})
    name: Line = Field(json_schema_extra={"pattern": FILLED_LINE_PATTERN})
    country: str = Field(json_schema_extra=dict(COUNTRY_JSON_SCHEMA))
    kind: Literal["court", "prosecutor", "agency", "police", "central_authority"]
    status: Literal["pending", "verified", "suspended", "blocklisted"] = "pending"
    domains: list[
        Annotated[
            str,
            WithJsonSchema(
                {"type": "string", "minLength": 3, "maxLength": 253, "pattern": DOMAIN_PATTERN}
            ),
        ]
    ] = Field(default_factory=list)
    contacts: list[ContactIn] = Field(default_factory=list)
    keys: list[KeyIn] = Field(default_factory=list)


class AuthorityOut(BaseModel):
    id: str
    name: str
    country: str
    kind: str
    status: str
    domains: list[str]
    contacts: list[ContactOut]
    keys: list[KeyOut]


class StatusIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"status": "verified", "note": "checked by phone"}]},
    )
    status: str = Field(pattern="^(pending|verified|suspended|blocklisted)$")
    note: Text = Field(default="", max_length=2000)


class UserOut(BaseModel):
    id: str
    name: str
    email: str
    kind: str
    status: str
    roles: list[str] | None = None
    agency: str | None = None
    may_file_emergency: bool | None = None
    may_download: bool | None = None


class RequesterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Line = Field(min_length=2, max_length=63, json_schema_extra={"pattern": USER_ID.pattern})
    name: Line = Field(
        min_length=1, max_length=300, json_schema_extra={"pattern": FILLED_LINE_PATTERN}
    )
    email: Line = Field(min_length=3, max_length=320, json_schema_extra={"pattern": EMAIL_PATTERN})
    agency: Line = Field(min_length=2, max_length=63)
    may_file_emergency: bool = False
    may_download: bool = False


class UserStatusIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"status": "suspended"}]}
    )
    status: str = Field(pattern="^(active|suspended|blocklisted)$")


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)
    #: The current TOTP code: always for staff, and for a requester once enrolled.
    code: str = Field(default="", max_length=16)
    label: str = Field(default="login", max_length=200)


class TokenOut(BaseModel):
    token: str


class AccountOut(BaseModel):
    id: str
    selectors: list[dict[str, str]]
    home_region: str
    placement: dict[str, str]
    residence: str
    nationality: str
    us_person: bool | str
    kind: str
