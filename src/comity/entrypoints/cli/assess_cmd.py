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

from comity.adapters.countries import known_countries
from comity.adapters.law_files import read_demand_file
from comity.bootstrap import Comity
from comity.domain.demand_schema import parse_demand
from comity.domain.inputs import parse_day as parse_day_input
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.demand_cmd import OPERATOR
from comity.entrypoints.cli.tables import WideOption, folding_table, print_table
from comity.errors import collect
from comity.services.assessment import assess_demand, default_as_of
from comity.services.assessments import run_assessment
from comity.services.demands import visible_demand


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    return parse_day_input(value, option)


def print_assessment(doc: dict[str, Any], *, wide: bool = False) -> None:
    """A person's view of an assessment, from its contract section 5 JSON."""
    console = Console(highlight=False, soft_wrap=True)
    rp = doc["rule_pack"]
    console.print(
        f"demand {doc['demand']} as of {doc['as_of']} "
        f"(rule pack {rp['version']}, {rp['digest'][:19]}...)",
        markup=False,
    )
    findings = doc["findings"]
    # One target (the usual case) is said once above the table: its column would take a fifth
    # of an 80-column terminal to repeat the same address on every row.
    targets = list(dict.fromkeys(f["target"]["value"] for f in findings))
    per_row_target = len(targets) > 1
    if len(targets) == 1:
        console.print(f"target {targets[0]}", markup=False)
    headers = ["category", "region", "pathway", "reason", "deadline"]
    table = folding_table(
        *(["target", *headers] if per_row_target else headers),
        whole={
            "pathway": [f["pathway"] for f in findings],
            "reason": [f["reason"] for f in findings],
            "category": [f["category"] for f in findings],
            "region": [f["region"] or "-" for f in findings],
        },
    )
    for f in findings:
        cells = [f["category"], f["region"] or "-", f["pathway"], f["reason"], f["deadline"] or "-"]
        table.add_row(*([f["target"]["value"], *cells] if per_row_target else cells))
    print_table(table, wide=wide, console=console)
    for i, f in enumerate(findings, 1):
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
    wide: WideOption = False,
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
        print_assessment(document, wide=wide)


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
