"""The authority registry and who may act: staff roles, requesters and their agencies.

Practice (practice.md, "What the existing request platforms offer"; "Fraudulent emergency
requests"): providers keep a registry of verified requesters tied to government e-mail domains,
with a status per agency and per-requester permissions, and verify requesters through contacts
found independently, never those written in a request. The registry is kept by staff only.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from comity.domain.inputs import text_problems

AUTHORITY_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
USER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
#: A domain as published (the check lowers its case first; the length is published apart).
DOMAIN_PATTERN = r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$"
REGISTRY_KINDS = ("court", "prosecutor", "agency", "police", "central_authority")


class AuthorityStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    SUSPENDED = "suspended"
    #: Known compromised or fraudulent: every request from it is refused (FBI PIN, 4 Nov 2024).
    BLOCKLISTED = "blocklisted"


class UserStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BLOCKLISTED = "blocklisted"


class StaffRole(StrEnum):
    """Staff roles. Requesters have no role; they act only within their agency."""

    REVIEWER = "reviewer"
    APPROVER = "approver"
    ADMINISTRATOR = "administrator"
    AUDITOR = "auditor"


#: Who may read demands, assessments and the registry (auditors read, never change).
READERS = frozenset(StaffRole)
#: Who may work a demand: run assessments, record a call-back.
HANDLERS = frozenset({StaffRole.REVIEWER, StaffRole.APPROVER, StaffRole.ADMINISTRATOR})
#: Who may clear a demand for disclosure after checking the requester out of band.
VERIFIERS = frozenset({StaffRole.APPROVER, StaffRole.ADMINISTRATOR})
#: Who may change the registry and issue credentials.
ADMINS = frozenset({StaffRole.ADMINISTRATOR})


@dataclass(frozen=True)
class RegistryContact:
    """A contact that staff found themselves (a published switchboard, a liaison list)."""

    name: str
    phone: str | None = None
    email: str | None = None
    #: Where staff found it, so a reviewer can tell it was not copied from a request.
    source: str = ""


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    #: Raw 32-byte Ed25519 public key, base64 (RFC 8032).
    ed25519: str


@dataclass(frozen=True)
class Authority:
    id: str
    name: str
    country: str
    kind: str
    status: AuthorityStatus = AuthorityStatus.PENDING
    domains: tuple[str, ...] = ()
    contacts: tuple[RegistryContact, ...] = ()
    keys: tuple[PublicKey, ...] = ()

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "country": self.country,
            "kind": self.kind,
            "status": self.status.value,
            "domains": list(self.domains),
            "contacts": [
                {"name": c.name, "phone": c.phone, "email": c.email, "source": c.source}
                for c in self.contacts
            ],
            "keys": [{"key_id": k.key_id, "ed25519": k.ed25519} for k in self.keys],
        }


@dataclass(frozen=True)
class User:
    """A staff member (with roles) or a requester (with an agency and permissions)."""

    id: str
    name: str
    email: str
    roles: frozenset[StaffRole] = frozenset()
    agency_id: str | None = None
    may_file_emergency: bool = False
    may_download: bool = False
    status: UserStatus = UserStatus.ACTIVE
    password_hash: str | None = field(default=None, repr=False)

    @property
    def is_staff(self) -> bool:
        return self.agency_id is None

    def has(self, allowed: frozenset[StaffRole]) -> bool:
        return self.is_staff and bool(self.roles & allowed)

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "kind": "staff" if self.is_staff else "requester",
            "status": self.status.value,
        }
        if self.is_staff:
            doc["roles"] = sorted(r.value for r in self.roles)
        else:
            doc["agency"] = self.agency_id
            doc["may_file_emergency"] = self.may_file_emergency
            doc["may_download"] = self.may_download
        return doc


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower().rstrip(".")


def domain_problem(value: object, field_name: str) -> str | None:
    if not isinstance(value, str) or not _DOMAIN.match(value.lower()):
        return f"{field_name}: expected a DNS domain such as police.example.gov, got {value!r}"
    return None


def parse_authority(
    doc: object, *, known_countries: frozenset[str]
) -> tuple[Authority | None, list[str]]:
    """Build an ``Authority`` from staff input, or list every problem with it."""
    if not isinstance(doc, dict):
        return None, [f"the authority must be an object, got {type(doc).__name__}"]
    # No control or bidi characters anywhere: a NUL cannot be stored, a bidi control hides
    # what a name says (the same rule as every other document, ``inputs.text_problem``).
    problems: list[str] = list(text_problems(doc))
    allowed = {"id", "name", "country", "kind", "domains", "contacts", "keys", "status"}
    for key in sorted(set(doc) - allowed):
        problems.append(f"{key}: unknown field (expected: {', '.join(sorted(allowed))})")
    auth_id = doc.get("id")
    if not isinstance(auth_id, str) or not AUTHORITY_ID.match(auth_id):
        problems.append(
            f"id: expected 2-63 lower-case letters, digits, '.', '_' or '-', got {auth_id!r}"
        )
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"name: expected a non-empty string, got {name!r}")
    country = doc.get("country")
    if country not in known_countries:
        problems.append(f"country: expected an ISO 3166-1 alpha-2 country code, got {country!r}")
    kind = doc.get("kind")
    if kind not in REGISTRY_KINDS:
        problems.append(f"kind: expected one of {', '.join(REGISTRY_KINDS)}, got {kind!r}")
    status = AuthorityStatus.PENDING
    if "status" in doc:
        try:
            status = AuthorityStatus(doc["status"])
        except ValueError:
            problems.append(
                f"status: expected one of {', '.join(s.value for s in AuthorityStatus)}, "
                f"got {doc['status']!r}"
            )
    domains: list[str] = []
    raw_domains = doc.get("domains", [])
    if not isinstance(raw_domains, list):
        problems.append(f"domains: expected a list of DNS domains, got {raw_domains!r}")
    else:
        for i, d in enumerate(raw_domains):
            why = domain_problem(d, f"domains[{i}]")
            if why:
                problems.append(why)
            else:
                domains.append(str(d).lower())
    contacts: list[RegistryContact] = []
    raw_contacts = doc.get("contacts", [])
    if not isinstance(raw_contacts, list):
        problems.append(f"contacts: expected a list of contacts, got {raw_contacts!r}")
    else:
        for i, c in enumerate(raw_contacts):
            if not isinstance(c, dict) or not isinstance(c.get("name"), str):
                problems.append(f"contacts[{i}]: expected an object with a name, got {c!r}")
                continue
            if any(
                c.get(k) is not None and not isinstance(c.get(k), str) for k in ("phone", "email")
            ):
                problems.append(f"contacts[{i}]: phone and email must be strings, got {c!r}")
                continue
            if not c.get("phone") and not c.get("email"):
                problems.append(f"contacts[{i}]: a contact needs a phone or an e-mail to call back")
                continue
            if not isinstance(c.get("source"), str) or not c["source"].strip():
                problems.append(
                    f"contacts[{i}].source: say where staff found this contact (never a request)"
                )
                continue
            contacts.append(
                RegistryContact(c["name"], c.get("phone"), c.get("email"), c["source"].strip())
            )
    keys: list[PublicKey] = []
    raw_keys = doc.get("keys", [])
    if not isinstance(raw_keys, list):
        problems.append(f"keys: expected a list of {{key_id, ed25519}}, got {raw_keys!r}")
    else:
        for i, k in enumerate(raw_keys):
            if not isinstance(k, dict) or not isinstance(k.get("key_id"), str) or not k["key_id"]:
                problems.append(f"keys[{i}]: expected an object with key_id and ed25519, got {k!r}")
                continue
            why = ed25519_key_problem(k.get("ed25519"))
            if why:
                problems.append(f"keys[{i}].ed25519: {why}")
                continue
            keys.append(PublicKey(k["key_id"], k["ed25519"]))
    if problems:
        return None, problems
    assert isinstance(auth_id, str)
    assert isinstance(name, str)
    assert isinstance(country, str)
    return (
        Authority(
            auth_id,
            name.strip(),
            country,
            str(kind),
            status,
            tuple(domains),
            tuple(contacts),
            tuple(keys),
        ),
        [],
    )


def ed25519_key_problem(value: object) -> str | None:
    """Why ``value`` is not a base64 raw Ed25519 public key (32 bytes), or None."""
    if not isinstance(value, str):
        return f"expected a base64 Ed25519 public key, got {value!r}"
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return f"expected base64, got {value[:20]!r}"
    if len(raw) != 32:
        return f"expected a 32-byte Ed25519 public key, got {len(raw)} bytes"
    return None
