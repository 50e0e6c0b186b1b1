"""``comity tokens issue USER``: a new API token, printed once (only its SHA-256 is kept)."""

from __future__ import annotations

from typing import Annotated

import typer

from comity.entrypoints.cli.context import open_comity
from comity.services import identity

app = typer.Typer(help="Issue API tokens.", no_args_is_help=True)


@app.command("issue")
def issue(
    ctx: typer.Context,
    user_id: str,
    label: Annotated[str, typer.Option(help="What the token is for")] = "cli",
) -> None:
    """Issue a token for USER_ID and print it; it cannot be shown again."""
    comity = open_comity(ctx)
    typer.echo(
        identity.issue_token(comity.intake_uow, comity.clock, user_id, label=label, actor="cli")
    )
