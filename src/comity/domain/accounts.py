"""Accounts: customers of the provider, how demands name them, and where each category lives.

Contract section 2. Placement is per data category because the Microsoft Ireland account kept its
subscriber and traffic records in the US and its mail content in Dublin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from comity.domain.categories import ALL_CATEGORIES, Category
from comity.domain.countries import looks_like_country_code

ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SELECTOR_TYPES = ("email", "phone", "username", "account_id")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


class AccountKind(StrEnum):
    CONSUMER = "consumer"
    #: Enterprise customers' demands are redirected to the customer first (practice.md, Microsoft).
    ENTERPRISE = "enterprise"


@dataclass(frozen=True, order=True)
class Selector:
    """How a demand names an account: an e-mail address, a phone number, a user name or an id."""

    type: str
    value: str

    @staticmethod
    def normalise(type_: str, value: str) -> Selector:
        """The canonical form, so ``Target@Example.com`` and ``target@example.com`` match."""
        value = value.strip()
        if type_ == "email":
            value = value.lower()
        return Selector(type_, value)

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


def selector_problem(type_: object, value: object) -> str | None:
    """Why ``(type_, value)`` is not a valid selector, or None if it is."""
    if type_ not in SELECTOR_TYPES:
        return f"unknown selector type {type_!r} (expected one of: {', '.join(SELECTOR_TYPES)})"
    if not isinstance(value, str) or not value.strip():
        return f"selector of type {type_} needs a non-empty string value"
    if type_ == "email" and not _EMAIL.match(value.strip()):
        return f"{value!r} is not an e-mail address"
    if type_ == "phone" and not _PHONE.match(value.strip()):
        return f"{value!r} is not a phone number in E.164 form (+ and 7 to 15 digits)"
    return None


@dataclass(frozen=True)
class Account:
    id: str
    selectors: tuple[Selector, ...]
    home_region: str
    placement: dict[Category, str] = field(default_factory=dict)
    residence: str = "unknown"
    nationality: str = "unknown"
    #: True, False or None when unknown (18 U.S.C. 2523(a)(2) "United States person").
    us_person: bool | None = None
    kind: AccountKind = AccountKind.CONSUMER

    def region_for(self, category: Category) -> str:
        """The one region that stores ``category`` for this account."""
        return self.placement.get(category, self.home_region)

    def regions(self) -> frozenset[str]:
        return frozenset(self.region_for(c) for c in ALL_CATEGORIES)

    def to_document(self) -> dict[str, Any]:
        """The contract's YAML/JSON shape of this account."""
        return {
            "id": self.id,
            "selectors": [{"type": s.type, "value": s.value} for s in self.selectors],
            "home_region": self.home_region,
            "placement": {c.value: r for c, r in sorted(self.placement.items())},
            "residence": self.residence,
            "nationality": self.nationality,
            "us_person": "unknown" if self.us_person is None else self.us_person,
            "kind": self.kind.value,
        }


def parse_account(
    doc: object, *, region_ids: frozenset[str], known_countries: frozenset[str]
) -> tuple[Account | None, list[str]]:
    """Build an ``Account`` from its contract document, or list every problem with it.

    Each problem is one sentence that names the field at fault, what was expected and what came.
    """
    if not isinstance(doc, dict):
        return None, [f"an account must be a mapping of fields, not {type(doc).__name__}"]
    problems: list[str] = []
    allowed = {
        "id",
        "selectors",
        "home_region",
        "placement",
        "residence",
        "nationality",
        "us_person",
        "kind",
    }
    for key in sorted(set(doc) - allowed):
        problems.append(
            f"account field {key!r} is not known (expected: {', '.join(sorted(allowed))})"
        )

    acct_id = doc.get("id")
    if not isinstance(acct_id, str) or not ACCOUNT_ID.match(acct_id):
        problems.append(f"account id must be letters, digits, '.', '_' or '-', got {acct_id!r}")
    label = f"account {acct_id}" if isinstance(acct_id, str) else "account"

    selectors: list[Selector] = []
    raw_selectors = doc.get("selectors")
    if not isinstance(raw_selectors, list) or not raw_selectors:
        problems.append(f"{label}: selectors must be a non-empty list of {{type, value}}")
    else:
        for i, raw in enumerate(raw_selectors):
            if not isinstance(raw, dict):
                problems.append(f"{label}: selectors[{i}] must be a mapping with type and value")
                continue
            why = selector_problem(raw.get("type"), raw.get("value"))
            if why:
                problems.append(f"{label}: selectors[{i}]: {why}")
            else:
                selectors.append(Selector.normalise(str(raw["type"]), str(raw["value"])))
        if len(set(selectors)) != len(selectors):
            problems.append(f"{label}: the same selector is listed twice")

    home = doc.get("home_region")
    if home not in region_ids:
        problems.append(
            f"{label}: home_region {home!r} is not a region of this deployment "
            f"(regions: {', '.join(sorted(region_ids))})"
        )

    placement: dict[Category, str] = {}
    raw_placement = doc.get("placement") or {}
    if not isinstance(raw_placement, dict):
        problems.append(f"{label}: placement must map categories to regions")
    else:
        for cat, region in raw_placement.items():
            try:
                category = Category.parse(cat)
            except ValueError as exc:
                problems.append(f"{label}: placement: {exc}")
                continue
            if region not in region_ids:
                problems.append(f"{label}: placement of {cat} names unknown region {region!r}")
                continue
            placement[category] = str(region)

    def country_field(name: str) -> str:
        value = doc.get(name, "unknown")
        if value == "unknown":
            return "unknown"
        if not looks_like_country_code(value) or value not in known_countries:
            problems.append(
                f"{label}: {name} {value!r} is not an ISO 3166-1 alpha-2 country code or 'unknown'"
            )
        return str(value)

    residence = country_field("residence")
    nationality = country_field("nationality")

    raw_us = doc.get("us_person", "unknown")
    us_person: bool | None = None
    if isinstance(raw_us, bool):
        us_person = raw_us
    elif raw_us != "unknown":
        problems.append(f"{label}: us_person must be true, false or 'unknown', got {raw_us!r}")

    raw_kind = doc.get("kind", "consumer")
    kind = AccountKind.CONSUMER
    try:
        kind = AccountKind(raw_kind)
    except ValueError:
        problems.append(f"{label}: kind must be consumer or enterprise, got {raw_kind!r}")

    if problems:
        return None, problems
    assert isinstance(acct_id, str)
    assert isinstance(home, str)
    return (
        Account(
            acct_id, tuple(selectors), home, placement, residence, nationality, us_person, kind
        ),
        [],
    )
