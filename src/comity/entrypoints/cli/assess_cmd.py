"""``comity assess DEMAND.json [--as-of DATE] [--json]``: what the law requires, per finding."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from comity.adapters.law_files import read_demand_file
from comity.domain.assessment import Assessment
from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput
from comity.services.assessment import assess_demand


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option}: expected a date YYYY-MM-DD, got {value!r}") from None


def print_assessment(assessment: Assessment) -> None:
    console = Console(highlight=False, soft_wrap=True)
    rp = assessment.rule_pack
    console.print(
        f"demand {assessment.demand} as of {assessment.as_of} "
        f"(rule pack {rp.version}, {rp.digest[:19]}...)",
        markup=False,
    )
    table = Table("target", "category", "region", "pathway", "reason", "deadline")
    for f in assessment.findings:
        table.add_row(
            f.target.value,
            f.category.value,
            f.region or "-",
            f.pathway.value,
            f.reason,
            f.deadline or "-",
        )
    console.print(table)
    for i, f in enumerate(assessment.findings, 1):
        console.print(
            f"{i}. {f.category.value} in {f.region or '-'}: {f.explanation}", markup=False
        )
        for label, items in (
            ("rules", f.rules),
            ("citations", f.citations),
            ("conflicts", f.conflicts),
            ("challenges", f.challenges),
            ("alternatives", f.alternatives),
        ):
            if items:
                console.print(f"   {label}: " + "; ".join(items), markup=False)
        if f.route:
            console.print(
                f"   route: {f.route.treaty} -> {f.route.central_authority}", markup=False
            )


def assess(
    ctx: typer.Context,
    demand_file: Annotated[Path, typer.Argument(help="A demand document (JSON).")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date of the law (default: day received).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print contract section 5 JSON.")] = False,
) -> None:
    """Assess a demand against the deployment's accounts and the rule pack."""
    day = parse_day(as_of, "--as-of")
    demand = read_demand_file(demand_file)
    comity = open_comity(ctx)
    assessment = assess_demand(comity.law_engine, comity.deployment, comity.uow, demand, day)
    if as_json:
        typer.echo(json.dumps(assessment.to_document(), indent=2))
    else:
        print_assessment(assessment)
