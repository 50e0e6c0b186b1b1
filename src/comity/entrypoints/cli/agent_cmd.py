"""``comity agent --region ID``: serve one region's agent over HTTP, for a region on its own host.

The host needs the deployment directory with the region's store and key, the control plane's
public key (``keys/control-plane.pub.pem``) and read access to the control plane (the agent
re-asks the law engine about the demand and accounts it holds).
"""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput


def agent(
    ctx: typer.Context,
    region: Annotated[
        str | None, typer.Option("--region", help="The region this agent serves.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8501,
) -> None:
    """Serve a region's agent: it accepts only signed authorizations and streams their records."""
    if not region:
        raise InvalidInput("--region: name the region this agent serves, e.g. --region eu-ie")
    app, key_id = open_comity(ctx).agent_app(region)
    typer.echo(f"agent of region {region} on http://{host}:{port} (control-plane key {key_id})")
    uvicorn.run(app, host=host, port=port, log_level="warning")
