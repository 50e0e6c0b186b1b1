"""``comity witness key | serve``: run this deployment as a witness for other logs."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from comity.entrypoints.api.witness_app import create_witness_app
from comity.entrypoints.cli.context import open_comity

app = typer.Typer(
    help="Witness other deployments' audit logs (C2SP tlog-witness).", no_args_is_help=True
)


@app.command("key")
def key(ctx: typer.Context) -> None:
    """Print this witness's cosignature/v1 key, for the logs' [[log.witnesses]] key."""
    typer.echo(str(open_comity(ctx).audit_log.cosigner().key))


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8010,
) -> None:
    """Answer POST /add-checkpoint for the logs in [[witness.logs]]."""
    witness = create_witness_app(open_comity(ctx))
    typer.echo(f"Comity witness on http://{host}:{port}/add-checkpoint")
    uvicorn.run(witness, host=host, port=port, log_level="warning")
