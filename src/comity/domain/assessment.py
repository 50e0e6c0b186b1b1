"""What the law engine concludes about a demand: findings and the assessment (contract section 5).

Pure values: the engine fills them, the API, CLI and workflow read them. A finding is made for one
(target, category, region holding that category); ``to_document`` gives the contract's JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from comity.domain.accounts import Selector
from comity.domain.categories import Category


class Pathway(StrEnum):
    DISCLOSE = "disclose"
    MAY_DISCLOSE = "may_disclose"
    NOTIFY_THEN_DISCLOSE = "notify_then_disclose"
    PRESERVE = "preserve"
    OBJECT = "object"
    REDIRECT_MLAT = "redirect_mlat"
    REDIRECT_ENTITY = "redirect_entity"
    REJECT = "reject"
    NO_DATA = "no_data"


#: Pathways under which the provider hands data over (now or after a notified period).
DISCLOSING = frozenset({Pathway.DISCLOSE, Pathway.MAY_DISCLOSE, Pathway.NOTIFY_THEN_DISCLOSE})

#: Reason given whenever the engine cannot decide safely (fail closed).
NEEDS_REVIEW = "needs_review"


@dataclass(frozen=True)
class Route:
    """Where a redirected request must go: the treaty and the data country's central authority."""

    treaty: str | None
    central_authority: str | None

    def to_document(self) -> dict[str, Any]:
        return {"treaty": self.treaty, "central_authority": self.central_authority}


@dataclass(frozen=True)
class Finding:
    target: Selector
    account: str | None
    category: Category
    region: str | None
    data_country: str | None
    pathway: Pathway
    reason: str
    explanation: str
    rules: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    #: ISO 8601 date-time (UTC) by which the provider must act, or None.
    deadline: str | None = None
    route: Route | None = None
    conflicts: tuple[str, ...] = ()
    challenges: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()

    def to_document(self) -> dict[str, Any]:
        return {
            "target": {"type": self.target.type, "value": self.target.value},
            "account": self.account,
            "category": self.category.value,
            "region": self.region,
            "data_country": self.data_country,
            "pathway": self.pathway.value,
            "reason": self.reason,
            "explanation": self.explanation,
            "rules": list(self.rules),
            "citations": list(self.citations),
            "deadline": self.deadline,
            "route": None if self.route is None else self.route.to_document(),
            "conflicts": list(self.conflicts),
            "challenges": list(self.challenges),
            "alternatives": list(self.alternatives),
        }


@dataclass(frozen=True)
class RulePackRef:
    version: str
    digest: str


@dataclass(frozen=True)
class Assessment:
    demand: str
    as_of: date
    rule_pack: RulePackRef
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def to_document(self) -> dict[str, Any]:
        return {
            "demand": self.demand,
            "as_of": self.as_of.isoformat(),
            "rule_pack": {"version": self.rule_pack.version, "digest": self.rule_pack.digest},
            "findings": [f.to_document() for f in self.findings],
        }

    @property
    def discloses_anything(self) -> bool:
        return any(f.pathway in DISCLOSING for f in self.findings)
