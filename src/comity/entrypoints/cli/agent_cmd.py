"""``comity agent --region ID``: serve one region's agent over HTTP, for a region on its own host.

The host needs the deployment directory with the region's store and key, the control plane's
public key (``keys/control-plane.pub.pem``) and read access to the control plane (the agent
re-asks the law engine about the demand and accounts it holds). On a PostgreSQL store the same
process runs the region's production worker (durable parts, ADR 0012): one unit per region.
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
    stalled_after: Annotated[
        float,
        typer.Option(
            "--stalled-after",
            help="Seconds without a worker heartbeat after which its running part is run again.",
        ),
    ] = 30.0,
) -> None:
    """Serve a region's agent: it accepts only signed authorizations and streams their records."""
    if not region:
        raise InvalidInput("--region: name the region this agent serves, e.g. --region eu-ie")
    if not 1.0 <= stalled_after <= 3600.0:
        raise InvalidInput("--stalled-after: give a number of seconds from 1 to 3600")
    app, key_id, with_jobs = open_comity(ctx).agent_app(region, stalled_after)
    queue = "with its production worker" if with_jobs else "without a job queue (SQLite)"
    typer.echo(
        f"agent of region {region} on http://{host}:{port} (control-plane key {key_id}), {queue}"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
