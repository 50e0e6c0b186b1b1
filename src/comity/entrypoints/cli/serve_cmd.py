"""``comity serve``: the API, the web console and the requester portal on http://127.0.0.1:8000."""

from __future__ import annotations

import os
from typing import Annotated

import typer
import uvicorn

from comity.bootstrap import open_deployment
from comity.entrypoints.api.nodelay import NoDelayH11Protocol
from comity.entrypoints.cli.context import HOME_ENV, deployment_dir


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Serve the API (OpenAPI documentation at /docs), the console and the portal."""
    home = deployment_dir(ctx).resolve()
    comity = open_deployment(home)  # fail here, with a clear sentence, if it is invalid
    for leftover in comity.sweep_production_staging():
        typer.echo(f"Removed what a stopped production left (decrypted records): {leftover}")
    os.environ[HOME_ENV] = str(home)
    typer.echo(f"Comity serving {home} on http://{host}:{port} (API docs at /docs)")
    typer.echo(f"Console and requester portal: http://{host}:{port}/sign-in")
    uvicorn.run(
        "comity.entrypoints.api.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        # A worker imports the whole application before it answers uvicorn's health check; on a
        # busy machine that takes more than uvicorn's 5 s default, and the worker is killed and
        # restarted for ever. Give it a minute.
        timeout_worker_healthcheck=60,
        http=NoDelayH11Protocol,
    )
