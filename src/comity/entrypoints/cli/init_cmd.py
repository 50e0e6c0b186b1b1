"""``comity init [--demo] [--dir DIR]``: create a deployment directory."""

from __future__ import annotations

from typing import Annotated

import typer

from comity.bootstrap import initialise
from comity.entrypoints.cli.context import deployment_dir


def init(
    ctx: typer.Context,
    demo: Annotated[
        bool, typer.Option("--demo", help="Add demo regions, accounts and mail.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite comity.toml if present.")
    ] = False,
    log_url: Annotated[
        str | None,
        typer.Option(
            "--log-url",
            help="Public URL of the audit log (e.g. https://comity.example.com/log/); "
            "the log's origin is this URL without its scheme.",
        ),
    ] = None,
) -> None:
    """Create comity.toml, the control-plane database, one store and one key per region."""
    # Plain lines, never wrapped: tokens and paths are copied from here.
    for line in initialise(deployment_dir(ctx), demo=demo, force=force, log_url=log_url):
        typer.echo(line)
