"""``comity assess DEMAND.json|ID [--as-of DATE] [--json]``: what the law requires, per finding.

A file is assessed as it stands and nothing is stored; a stored demand's id is assessed on behalf
of the operator and the assessment is kept with its rule pack digest and put on the audit log.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from comity.adapters.countries import known_countries
from comity.adapters.law_files import read_demand_file
from comity.bootstrap import Comity
from comity.domain.demand import parse_demand
from comity.domain.inputs import parse_day as parse_day_input
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.demand_cmd import OPERATOR
from comity.errors import collect
from comity.services.assessment import assess_demand, default_as_of
from comity.services.assessments import run_assessment
from comity.services.demands import visible_demand


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    return parse_day_input(value, option)


def print_assessment(doc: dict[str, Any]) -> None:
    """A person's view of an assessment, from its contract section 5 JSON."""
    console = Console(highlight=False, soft_wrap=True)
    rp = doc["rule_pack"]
    console.print(
        f"demand {doc['demand']} as of {doc['as_of']} "
        f"(rule pack {rp['version']}, {rp['digest'][:19]}...)",
        markup=False,
    )
    table = Table("target", "category", "region", "pathway", "reason", "deadline")
    for f in doc["findings"]:
        table.add_row(
            f["target"]["value"],
            f["category"],
            f["region"] or "-",
            f["pathway"],
            f["reason"],
            f["deadline"] or "-",
        )
    console.print(table)
    for i, f in enumerate(doc["findings"], 1):
        console.print(
            f"{i}. {f['category']} in {f['region'] or '-'}: {f['explanation']}", markup=False
        )
        for label in ("rules", "citations", "conflicts", "challenges", "alternatives"):
            if f[label]:
                console.print(f"   {label}: " + "; ".join(map(str, f[label])), markup=False)
        if f["route"]:
            route = f["route"]
            console.print(
                f"   route: {route['treaty']} -> {route['central_authority']}", markup=False
            )


def assess(
    ctx: typer.Context,
    demand: Annotated[str, typer.Argument(help="A demand document (JSON) or a stored demand id.")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date of the law (default: day received).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print contract section 5 JSON.")] = False,
) -> None:
    """Assess a demand against the deployment's accounts and the rule pack."""
    day = parse_day(as_of, "--as-of")
    comity = open_comity(ctx)
    path = Path(demand)
    if path.exists() or demand.endswith(".json"):
        parsed = read_demand_file(path)
        document = assess_demand(
            comity.law_engine, comity.deployment, comity.uow, parsed, day
        ).to_document()
    else:
        document = assess_stored(comity, demand, day)
    if as_json:
        typer.echo(json.dumps(document, indent=2))
    else:
        print_assessment(document)


def assess_stored(comity: Comity, demand_id: str, day: date | None) -> dict[str, Any]:
    """Assess a stored demand (default: the law on the day it was received) and keep the result."""
    record = visible_demand(comity.intake_uow, OPERATOR, demand_id)
    parsed, problems = parse_demand(record.document, known_countries=known_countries())
    collect(problems)
    assert parsed is not None
    stored = run_assessment(
        comity.intake_uow,
        comity.clock,
        OPERATOR,
        demand_id,
        as_of=day or default_as_of(parsed),
        assessor=comity.assessor,
        known_countries=known_countries(),
    )
    return stored.document
