"""``comity rules diff OLD_PACK NEW_PACK --demands FILE...``: what a rule change would change.

Demands are JSON demand documents (assessed with this deployment's accounts, on the day each was
received or ``--as-of``) or scenario files (assessed with their own deployment and accounts on each
of their expectation dates).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from comity.adapters.law_files import read_demand_file, read_scenario
from comity.domain.accounts import Account, Selector
from comity.domain.demand import Demand
from comity.domain.deployment import Deployment
from comity.entrypoints.cli.assess_cmd import parse_day
from comity.entrypoints.cli.context import open_comity
from comity.law.diff import diff_assessments
from comity.law.engine import LawEngine
from comity.services.accounts import find_account
from comity.services.assessment.law_assessor import default_as_of

app = typer.Typer(help="Rule pack tools.", no_args_is_help=True)

Case = tuple[Demand, Deployment, Callable[[Selector], Account | None], list[date]]


def _cases(ctx: typer.Context, files: list[Path], as_of: date | None) -> list[Case]:
    cases: list[Case] = []
    comity = None
    for path in files:
        if path.suffix in (".yaml", ".yml"):
            sc = read_scenario(path)
            accounts = {s: a for a in sc.accounts for s in a.selectors}
            days = [as_of] if as_of else sorted({e.as_of for e in sc.expectations})
            cases.append((sc.demand, sc.deployment, accounts.get, days))
        else:
            demand = read_demand_file(path)
            comity = comity or open_comity(ctx)
            uow = comity.uow
            cases.append(
                (
                    demand,
                    comity.deployment,
                    lambda s, uow=uow: find_account(uow, s),  # type: ignore[misc]
                    [as_of or default_as_of(demand)],
                )
            )
    return cases


@app.command("check")
def check(
    pack: Annotated[Path | None, typer.Argument(help="Pack directory (default: shipped).")] = None,
) -> None:
    """Load and validate a rule pack against its schema; print its version, digest and rules."""
    engine = LawEngine.load(pack)
    p = engine.pack
    by_effect: dict[str, int] = {}
    for rule in p.rules.values():
        by_effect[rule.effect] = by_effect.get(rule.effect, 0) + 1
    typer.echo(f"pack {p.path}: version {p.version}, {p.digest}")
    typer.echo(
        f"valid: {len(p.rules)} rules ("
        + ", ".join(f"{n} {e}" for e, n in sorted(by_effect.items()))
        + f"), {len(p.facts.countries)} countries, {len(p.facts.districts)} US districts, "
        f"{len(p.facts.treaties)} treaties"
    )


@app.command("diff")
def diff(
    ctx: typer.Context,
    old_pack: Annotated[Path, typer.Argument(help="The pack in force.")],
    new_pack: Annotated[Path, typer.Argument(help="The proposed pack.")],
    *,
    demands: Annotated[list[Path], typer.Option("--demands", help="Demand or scenario files.")],
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-assess demands under both packs and list the findings that change."""
    old, new = LawEngine.load(old_pack), LawEngine.load(new_pack)
    changes: list[dict[str, Any]] = []
    cases = _cases(ctx, demands, parse_day(as_of, "--as-of"))
    for demand, deployment, find, days in cases:
        for day in days:
            changes += diff_assessments(
                old.assess(demand, deployment, find, day), new.assess(demand, deployment, find, day)
            )
    report = {
        "old": {"version": old.pack.version, "digest": old.pack.digest},
        "new": {"version": new.pack.version, "digest": new.pack.digest},
        "demands": len(cases),
        "changes": changes,
    }
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"{old.pack.version} ({old.pack.digest[:19]}...) -> {new.pack.version} "
        f"({new.pack.digest[:19]}...): {len(changes)} changed findings in {len(cases)} demands",
        markup=False,
    )
    for c in changes:
        console.print(
            f"- {c['demand']} as of {c['as_of']}: {c['target']} {c['category']} "
            f"({c['region']}): "
            + "; ".join(f"{f} {c['old'][f]!r} -> {c['new'][f]!r}" for f in c["changed"]),
            markup=False,
        )
