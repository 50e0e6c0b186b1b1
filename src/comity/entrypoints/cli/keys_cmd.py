"""``comity keys provider [--pem]``: the provider's published signing key and its fingerprint.

Requesters check a package's signature against this key (``/keys/provider.pub.pem`` and the
portal's "Check a package" page serve it too); the operator reads the fingerprint here to publish
it elsewhere (law-enforcement guidelines, a letter), which is what lets a requester trust it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from comity.entrypoints.cli.context import open_comity

app = typer.Typer(help="The provider's published signing key.", no_args_is_help=True)


@app.command("provider")
def provider(
    ctx: typer.Context,
    pem_only: Annotated[
        bool, typer.Option("--pem", help="Print only the PEM, to save as provider.pub.pem.")
    ] = False,
) -> None:
    """The key that signs packages: its id, its SHA-256 fingerprint and the PEM to publish."""
    key = open_comity(ctx).provider_key.public
    if not pem_only:
        typer.echo(f"key id: {key.key_id}")
        typer.echo(f"sha-256 fingerprint: {key.fingerprint}")
        typer.echo("served at: /keys/provider.pub.pem (and on /check-a-package)")
    typer.echo(key.pem().decode("ascii"), nl=False)
