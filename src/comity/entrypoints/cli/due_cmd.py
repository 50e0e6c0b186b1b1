"""``comity due [--within 48h] [--json]``: what is overdue and what falls due soon, all cases."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.demand_cmd import OPERATOR
from comity.services.cases import due as case_due


def due(
    ctx: typer.Context,
    within: Annotated[str, typer.Option(help="The window ahead: 48h, 3d, 90m, 2w")] = "48h",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Deadlines, hold expiries and notices now due: overdue first, then due within the window."""
    window = case_due.parse_window(within, "--within")
    comity = open_comity(ctx)
    report = case_due.due(comity.intake_uow, comity.clock, OPERATOR, within=window)
    if as_json:
        typer.echo(json.dumps(report.to_document(), indent=2))
        return
    table = Table("", "due (UTC)", "kind", "case", "reference", "what", "law")
    for label, items in (("OVERDUE", report.overdue), ("soon", report.due_soon)):
        for i in items:
            d = i.deadline
            table.add_row(
                label,
                d.due_at.isoformat(timespec="minutes"),
                d.kind,
                i.case_id,
                i.reference,
                d.description,
                d.citation,
            )
    Console(soft_wrap=True).print(table)
    typer.echo(
        f"{len(report.overdue)} overdue, {len(report.due_soon)} due within {within} "
        f"(as of {report.now.isoformat(timespec='minutes')})"
    )
