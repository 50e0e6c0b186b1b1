"""``comity sources check [REGION] [--selector email:x@y]``: the region's data sources."""

from __future__ import annotations

from typing import Annotated

import typer

from comity.entrypoints.cli.context import open_comity
from comity.errors import NotFound
from comity.services.custody.sources_check import check_sources, parse_selector, raise_problems

app = typer.Typer(help="Data sources: where regions read the provider's own systems.")


@app.command("check")
def check(
    ctx: typer.Context,
    region: Annotated[str | None, typer.Argument(help="Only this region")] = None,
    selector: Annotated[
        str | None,
        typer.Option(help="A test selector to look up, e.g. email:alice@example.com"),
    ] = None,
) -> None:
    """Each source reachable, read-only as far as it can tell, and account lookup working;
    with --selector, what it holds for that selector. Changes nothing at any source."""
    comity = open_comity(ctx)
    wanted = parse_selector(selector) if selector is not None else None
    if region is not None and region not in comity.deployment.region_ids:
        known = ", ".join(comity.deployment.region_ids)
        raise NotFound(f"no region {region!r} in this deployment (regions: {known})")
    regions = [region] if region is not None else list(comity.deployment.region_ids)
    lines, problems = check_sources(regions, comity.region_sources, wanted)
    for line in lines:
        typer.echo(line)
    raise_problems(problems)
