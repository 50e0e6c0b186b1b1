"""``comity due [--within 48h] [--json]``: what is overdue and what falls due soon, all cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer

from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.demand_cmd import OPERATOR
from comity.entrypoints.cli.tables import JsonOption, WideOption, folding_table, print_table
from comity.services.cases import due as case_due


def due(
    ctx: typer.Context,
    within: Annotated[str, typer.Option(help="The window ahead: 48h, 3d, 90m, 2w")] = "48h",
    as_json: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """Deadlines, hold expiries and notices now due: overdue first, then due within the window."""
    window = case_due.parse_window(within, "--within")
    comity = open_comity(ctx)
    report = case_due.due(comity.intake_uow, comity.clock, OPERATOR, within=window)
    if as_json:
        typer.echo(json.dumps(report.to_document(), indent=2))
        return
    every = report.overdue + report.due_soon
    # Three columns, each led by a word kept whole: the due time, the case id (its reference on
    # the next line) and the kind (what to do and the law below it). Six side by side did not
    # fit 80 columns with the longest kind and case id whole, and Rich folded them mid-word.
    table = folding_table(
        "due (UTC)",
        "case / reference",
        "kind / what / law",
        whole={
            "kind / what / law": [i.deadline.kind for i in every],
            "case / reference": [i.case_id for i in every],
            "due (UTC)": ["OVERDUE", *(_when(i.deadline.due_at) for i in every)],
        },
    )
    for label, items in (("OVERDUE", report.overdue), ("soon", report.due_soon)):
        for i in items:
            d = i.deadline
            table.add_row(
                f"{label} {_when(d.due_at)}",
                f"{i.case_id}\n{i.reference}",
                f"{d.kind}\n{d.description}\n({d.citation})",
            )
    print_table(table, wide=wide)
    typer.echo(
        f"{len(report.overdue)} overdue, {len(report.due_soon)} due within {within} "
        f"(as of {report.now.isoformat(timespec='minutes')})"
    )


def _when(at: datetime) -> str:
    """``2026-11-30 18:36``: the date and the time wrap apart, each whole."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
