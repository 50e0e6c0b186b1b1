"""Scenarios (contract section 6): executable legal test cases, checked against the engine.

A scenario fixes a deployment, accounts and one demand, and states the findings expected on one
or more dates. Only the keys written under an expected finding are compared, so a legal team pins
down exactly what it cares about (often just the pathway).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from comity.domain.accounts import Account, Selector
from comity.domain.demand import Demand
from comity.domain.deployment import Deployment
from comity.law.engine import LawEngine

COMPARABLE = (
    "account",
    "region",
    "data_country",
    "pathway",
    "reason",
    "explanation",
    "rules",
    "citations",
    "deadline",
    "route",
    "conflicts",
    "challenges",
    "alternatives",
)


@dataclass(frozen=True)
class Expectation:
    as_of: date
    target: str
    category: str
    expected: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    deployment: Deployment
    accounts: tuple[Account, ...]
    demand: Demand
    expectations: tuple[Expectation, ...]


@dataclass
class ScenarioResult:
    name: str
    source: str
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks)

    def to_document(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "checks": self.checks}


def _matches(expected: object, actual: object, *, in_list: bool = False) -> bool:
    """Compare an expected value with the engine's.

    Lists: an empty list means "none"; otherwise each expected item must match some actual item,
    and a text item matches an actual text containing it (``conflicts: ["GDPR Art. 48"]``).
    Mappings compare key by key.
    """
    if isinstance(expected, list) and isinstance(actual, list):
        if not expected:
            return not actual
        return all(any(_matches(e, a, in_list=True) for a in actual) for e in expected)
    if in_list and isinstance(expected, str) and isinstance(actual, str):
        return expected in actual
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(_matches(v, actual.get(k)) for k, v in expected.items())
    return expected == actual


def run_scenario(engine: LawEngine, scenario: Scenario) -> ScenarioResult:
    by_selector: dict[Selector, Account] = {s: a for a in scenario.accounts for s in a.selectors}
    result = ScenarioResult(scenario.name, scenario.source)
    cache: dict[date, list[dict[str, Any]]] = {}
    for exp in scenario.expectations:
        if exp.as_of not in cache:
            assessment = engine.assess(scenario.demand, scenario.deployment, by_selector, exp.as_of)
            cache[exp.as_of] = [f.to_document() for f in assessment.findings]
        found = [
            f
            for f in cache[exp.as_of]
            if f["target"]["value"] == exp.target
            and f["category"] == exp.category
            and ("region" not in exp.expected or f["region"] == exp.expected["region"])
        ]
        actual = {k: found[0].get(k) for k in exp.expected} if found else None
        ok = actual is not None and _matches(exp.expected, actual)
        result.checks.append(
            {
                "as_of": exp.as_of.isoformat(),
                "target": exp.target,
                "category": exp.category,
                "expected": exp.expected,
                "actual": actual,
                "ok": ok,
            }
        )
    return result
