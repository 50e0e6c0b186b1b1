"""From the law engine's answer and the demand to what a case needs: findings and a time zone.

Findings (contract section 5) become ``FindingRef``s: the target's value, category, region,
pathway, data country, reason, deadline and citations. Days are counted in the issuing court's
zone for US process and in the addressee's establishment's zone for e-Evidence orders
(docs/workflow.md); the court's zone is taken from the state in its PACER id (``us.nysd`` is New
York), the establishment's from its country.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from comity.domain.categories import Category
from comity.domain.demand import Demand
from comity.domain.deployment import Deployment
from comity.domain.workflow import FindingRef, Pathway
from comity.errors import IntegrityError

#: The zone of each US state's federal courts (the seat's zone where a state spans two).
_STATE_ZONES = {
    **dict.fromkeys(
        [
            "ct",
            "de",
            "dc",
            "fl",
            "ga",
            "me",
            "md",
            "ma",
            "nh",
            "nj",
            "ny",
            "nc",
            "oh",
            "pa",
            "ri",
            "sc",
            "vt",
            "va",
            "wv",
        ],
        "America/New_York",
    ),
    **dict.fromkeys(
        [
            "al",
            "ar",
            "il",
            "ia",
            "ks",
            "la",
            "mn",
            "ms",
            "mo",
            "ne",
            "nd",
            "ok",
            "sd",
            "tx",
            "wi",
            "tn",
        ],
        "America/Chicago",
    ),
    **dict.fromkeys(["co", "mt", "nm", "ut", "wy"], "America/Denver"),
    **dict.fromkeys(["ca", "nv", "or", "wa"], "America/Los_Angeles"),
    "mi": "America/Detroit",
    "in": "America/Indiana/Indianapolis",
    "ky": "America/Kentucky/Louisville",
    "id": "America/Boise",
    "az": "America/Phoenix",
    "ak": "America/Anchorage",
    "hi": "Pacific/Honolulu",
    "pr": "America/Puerto_Rico",
    "vi": "America/St_Thomas",
    "gu": "Pacific/Guam",
    "mp": "Pacific/Saipan",
}
#: Districts whose seat is in another zone than the rest of their state.
_DISTRICT_ZONES = {"tned": "America/New_York", "flnd": "America/Chicago"}
#: The zone of a country's authorities (its capital's).
COUNTRY_ZONES = {
    "US": "America/New_York",
    "IE": "Europe/Dublin",
    "GB": "Europe/London",
    "DE": "Europe/Berlin",
    "FR": "Europe/Paris",
    "BE": "Europe/Brussels",
    "NL": "Europe/Amsterdam",
    "LU": "Europe/Luxembourg",
    "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon",
    "IT": "Europe/Rome",
    "AT": "Europe/Vienna",
    "PL": "Europe/Warsaw",
    "CZ": "Europe/Prague",
    "SE": "Europe/Stockholm",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
    "GR": "Europe/Athens",
    "AU": "Australia/Sydney",
    "CA": "America/Toronto",
    "BR": "America/Sao_Paulo",
    "IN": "Asia/Kolkata",
    "JP": "Asia/Tokyo",
}
ESTABLISHMENT_ROLES = ("eu_designated_establishment", "eu_legal_representative")


def case_zone(demand: Demand, deployment: Deployment) -> str:
    """Where the case's days are counted (UTC when Comity knows no zone for the place)."""
    if demand.instrument.startswith("eu."):
        entity = next(
            (
                e
                for role in ESTABLISHMENT_ROLES
                if (e := deployment.provider.entity_with_role(role)) is not None
            ),
            None,
        )
        country = entity.country if entity else deployment.provider.established_in
        return COUNTRY_ZONES.get(country, "UTC")
    forum = demand.issuing_authority.forum or ""
    if demand.issuing_authority.country == "US" and forum.startswith("us."):
        district = forum.removeprefix("us.")
        if district in _DISTRICT_ZONES:
            return _DISTRICT_ZONES[district]
        if district[:2] in _STATE_ZONES:
            return _STATE_ZONES[district[:2]]
    return COUNTRY_ZONES.get(demand.issuing_authority.country, "UTC")


def finding_refs(assessment: dict[str, Any]) -> list[FindingRef]:
    """The law engine's findings (contract section 5) as the case sees them."""
    raw = assessment.get("findings")
    if not isinstance(raw, list):
        raise IntegrityError("the law engine's answer has no findings list")
    refs = []
    for i, doc in enumerate(raw):
        try:
            refs.append(_ref(doc))
        except (KeyError, TypeError, ValueError) as exc:
            raise IntegrityError(
                f"findings[{i}]: the law engine's finding cannot be read ({exc})"
            ) from None
    return refs


def _ref(doc: dict[str, Any]) -> FindingRef:
    target = doc["target"]
    value = target["value"] if isinstance(target, dict) else str(target)
    deadline = doc.get("deadline")
    citations = doc.get("citations") or []
    return FindingRef(
        target=value,
        category=Category(doc["category"]),
        region=doc.get("region"),
        pathway=Pathway(doc["pathway"]),
        data_country=doc.get("data_country"),
        reason=doc.get("reason"),
        deadline=datetime.fromisoformat(deadline) if isinstance(deadline, str) else None,
        citation="; ".join(citations) if citations else None,
    )
