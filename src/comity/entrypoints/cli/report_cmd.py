"""``comity report transparency``: the figures a provider publishes in its transparency report."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated

import typer

from comity.domain.transparency import half_year
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.demand_cmd import OPERATOR
from comity.errors import InvalidInput
from comity.services.transparency import transparency_report

app = typer.Typer(help="Reports built from the record.", no_args_is_help=True)


def _day(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{option}: expected a date such as 2026-01-01, got {text!r}") from None


@app.command("transparency")
def transparency(
    ctx: typer.Context,
    half: Annotated[
        str | None, typer.Option(help="A half-year such as 2026-H1 (instead of --from/--to).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, e.g. 2026-01-01.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, inclusive.")] = None,
    output: Annotated[str, typer.Option("--format", help="markdown, json or csv.")] = "markdown",
) -> None:
    """Requests received in the period, per country and legal process, and what became of them."""
    if output not in ("markdown", "json", "csv"):
        raise InvalidInput(f"--format: expected markdown, json or csv, got {output!r}")
    if half is not None:
        if start is not None or end is not None:
            raise InvalidInput("give either --half or --from and --to, not both")
        first, last = half_year(half)
    elif start is not None and end is not None:
        first, last = _day("--from", start), _day("--to", end)
    else:
        raise InvalidInput("give the period: --half 2026-H1, or --from and --to")
    report = transparency_report(open_comity(ctx).intake_uow, OPERATOR, first, last)
    if output == "json":
        typer.echo(json.dumps(report.to_document(), indent=2))
    elif output == "csv":
        typer.echo(report.to_csv(), nl=False)
    else:
        typer.echo(report.to_markdown(), nl=False)
