"""Impact of a rule change: the findings that differ when the same demand is assessed under two
packs. Findings are matched by (target, category, region); a change in pathway, reason, rules,
deadline, route, conflicts, challenges or alternatives is reported."""

from __future__ import annotations

from typing import Any

from comity.domain.assessment import Assessment

COMPARED = (
    "pathway",
    "reason",
    "rules",
    "deadline",
    "route",
    "conflicts",
    "challenges",
    "alternatives",
)


def diff_assessments(old: Assessment, new: Assessment) -> list[dict[str, Any]]:
    def key(doc: dict[str, Any]) -> tuple[str, str, str, str | None]:
        return (doc["target"]["type"], doc["target"]["value"], doc["category"], doc["region"])

    before = {key(f.to_document()): f.to_document() for f in old.findings}
    after = {key(f.to_document()): f.to_document() for f in new.findings}
    changes = []
    for k in sorted(set(before) | set(after), key=str):
        a, b = before.get(k), after.get(k)
        fields = [c for c in COMPARED if (a or {}).get(c) != (b or {}).get(c)]
        if fields:
            changes.append(
                {
                    "demand": new.demand,
                    "as_of": new.as_of.isoformat(),
                    "target": k[1],
                    "category": k[2],
                    "region": k[3],
                    "changed": fields,
                    "old": {c: (a or {}).get(c) for c in fields},
                    "new": {c: (b or {}).get(c) for c in fields},
                }
            )
    return changes
