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
from comity.domain.deadlines import counting_zone
from comity.domain.demand import Demand
from comity.domain.deployment import Deployment
from comity.domain.workflow import FindingRef, Pathway
from comity.errors import IntegrityError


def case_zone(demand: Demand, deployment: Deployment) -> str:
    """Where the case's days are counted: the one rule the law engine's deadlines use too."""
    return counting_zone(demand, deployment)


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
