"""The rule pack's tools on files: scenarios, replays, demand files and pack diffs.

``comity scenario run``, ``comity replay``, ``comity rules diff``, ``comity assess FILE`` and the
Microsoft Ireland page read YAML and JSON files (``adapters.law_files``) and run the law engine
on what they hold. Reading a file is an adapter and running the engine is the law layer, so the
two meet here, in the composition root; each entry point makes one call and renders its answer.
Scenarios and replays need no deployment: they carry their own accounts and deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from comity.adapters.law_files import read_demand_file, read_replay, read_scenario
from comity.domain.accounts import Account, Selector
from comity.domain.assessment import Assessment
from comity.domain.demand import Demand
from comity.domain.deployment import Deployment
from comity.errors import InvalidInput
from comity.law.diff import diff_assessments
from comity.law.engine import LawEngine
from comity.law.replay import run_replay
from comity.law.scenario import ScenarioResult, run_scenario
from comity.services.assessment.law_assessor import accounts_named, assess_demand, default_as_of

if TYPE_CHECKING:
    from comity.bootstrap import Comity


def run_scenario_files(engine: LawEngine, paths: list[Path]) -> list[ScenarioResult]:
    """Run every scenario file; ``InvalidInput`` naming every problem of every file first."""
    scenarios, problems = [], []
    for path in paths:
        try:
            scenarios.append(read_scenario(path))
        except InvalidInput as exc:
            problems += exc.problems
    if problems:
        raise InvalidInput(problems[0], problems=problems)
    return [run_scenario(engine, s) for s in scenarios]


def replay_file(engine: LawEngine, script: Path) -> dict[str, Any]:
    """A replay script's case assessed on each of its dates, beside what the courts held."""
    return run_replay(engine, read_replay(script))


def assess_file(comity: Comity, path: Path, as_of: date | None) -> Assessment:
    """A demand document assessed as it stands, with this deployment's accounts; nothing stored."""
    return assess_demand(
        comity.law_engine, comity.deployment, comity.uow, read_demand_file(path), as_of
    )


@dataclass(frozen=True)
class _DiffCase:
    demand: Demand
    deployment: Deployment
    accounts: dict[Selector, Account]
    days: list[date]


def _diff_cases(
    files: list[Path], as_of: date | None, open_comity: Callable[[], Comity]
) -> list[_DiffCase]:
    """Scenario files bring their own deployment and accounts (assessed on each expectation
    date); demand files are assessed with this deployment's accounts (opened only if needed)."""
    cases: list[_DiffCase] = []
    comity: Comity | None = None
    for path in files:
        if path.suffix in (".yaml", ".yml"):
            sc = read_scenario(path)
            accounts = {s: a for a in sc.accounts for s in a.selectors}
            days = [as_of] if as_of else sorted({e.as_of for e in sc.expectations})
            cases.append(_DiffCase(sc.demand, sc.deployment, accounts, days))
        else:
            demand = read_demand_file(path)
            comity = comity or open_comity()
            named = accounts_named(comity.uow, demand)
            day = as_of or default_as_of(demand)
            cases.append(_DiffCase(demand, comity.deployment, named, [day]))
    return cases


def pack_diff(
    old_pack: Path,
    new_pack: Path,
    files: list[Path],
    as_of: date | None,
    open_comity: Callable[[], Comity],
) -> dict[str, Any]:
    """Every finding of the given demands that changes between the two packs, on each date."""
    old, new = LawEngine.load(old_pack), LawEngine.load(new_pack)
    cases = _diff_cases(files, as_of, open_comity)
    changes: list[dict[str, Any]] = []
    for case in cases:
        for day in case.days:
            changes += diff_assessments(
                old.assess(case.demand, case.deployment, case.accounts, day),
                new.assess(case.demand, case.deployment, case.accounts, day),
            )
    return {
        "old": {"version": old.pack.version, "digest": old.pack.digest},
        "new": {"version": new.pack.version, "digest": new.pack.digest},
        "demands": len(cases),
        "changes": changes,
    }
