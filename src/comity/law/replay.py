"""Replaying a real case date by date: the engine's pathways beside what the courts decided.

The script (YAML) fixes the case (deployment, accounts, demand) and the dated events with the
outcome the courts reached for each group of data ("content": the mail in Dublin; "records": the
subscriber and traffic records in the US). The outcomes shown come from the engine; the courts'
outcomes are only compared with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from comity.domain.accounts import Account, Selector
from comity.domain.categories import Category
from comity.domain.demand import Demand
from comity.domain.deployment import Deployment
from comity.law.engine import LawEngine

GROUPS: dict[str, tuple[Category, ...]] = {
    "content": (Category.CONTENT,),
    "records": (Category.SUBSCRIBER, Category.IDENTIFICATION, Category.TRAFFIC),
}


@dataclass(frozen=True)
class ReplayEvent:
    day: date
    event: str
    citation: str
    #: What the courts decided, by group: e.g. {"content": "redirect_mlat", "records": "disclose"}.
    courts: dict[str, str]


@dataclass(frozen=True)
class Replay:
    name: str
    deployment: Deployment
    accounts: tuple[Account, ...]
    demand: Demand
    events: tuple[ReplayEvent, ...]


def run_replay(engine: LawEngine, replay: Replay) -> dict[str, Any]:
    """Assess the case at each event's date; report each group's pathway and whether it matches."""
    by_selector: dict[Selector, Account] = {s: a for a in replay.accounts for s in a.selectors}
    steps = []
    for ev in replay.events:
        assessment = engine.assess(replay.demand, replay.deployment, by_selector, ev.day)
        groups: dict[str, Any] = {}
        for group, categories in GROUPS.items():
            found = [f for f in assessment.findings if f.category in categories]
            if not found:
                continue
            pathways = sorted({f.pathway.value for f in found})
            groups[group] = {
                "pathway": pathways[0] if len(pathways) == 1 else "mixed",
                "findings": [
                    {
                        k: v
                        for k, v in f.to_document().items()
                        if k
                        in (
                            "category",
                            "region",
                            "data_country",
                            "pathway",
                            "reason",
                            "explanation",
                            "rules",
                            "route",
                            "conflicts",
                            "challenges",
                            "deadline",
                        )
                    }
                    for f in found
                ],
            }
        matches = all(
            groups.get(g, {}).get("pathway") == expected for g, expected in ev.courts.items()
        )
        steps.append(
            {
                "date": ev.day.isoformat(),
                "event": ev.event,
                "citation": ev.citation,
                "courts": ev.courts,
                **groups,
                "matches_courts": matches,
            }
        )
    return {
        "case": replay.name,
        "rule_pack": {"version": engine.pack.version, "digest": engine.pack.digest},
        "steps": steps,
        "all_match": all(s["matches_courts"] for s in steps),
    }
