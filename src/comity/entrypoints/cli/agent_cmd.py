"""``comity agent --region ID``: serve one region's agent, for a region on its own host.

The host needs the deployment directory with the region's store and key custody, the control
plane's public key (``keys/control-plane.pub.pem``), read access to the control plane (the agent
re-asks the law engine about the demand and accounts it holds), and for mutual TLS the deployment
CA's certificate and the agent's own certificate and key (``comity pki issue agent ID``).
On a PostgreSQL store the same process runs the region's production worker (durable parts,
ADR 0012): one unit per region.
"""

from __future__ import annotations

from typing import Annotated

import typer

from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput


def agent(  # noqa: PLR0917 - one parameter per CLI option
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
    insecure_http: Annotated[
        bool,
        typer.Option(
            "--insecure-http",
            help="Serve plain HTTP without client certificates (loopback addresses only).",
        ),
    ] = False,
) -> None:
    """Serve a region's agent: it accepts only signed authorizations and streams their records."""
    if not region:
        raise InvalidInput("--region: name the region this agent serves, e.g. --region eu-ie")
    if not 1.0 <= stalled_after <= 3600.0:
        raise InvalidInput("--stalled-after: give a number of seconds from 1 to 3600")
    comity = open_comity(ctx)
    run, key_id, with_jobs = comity.serve_agent(
        region, host, port, insecure_http=insecure_http, stalled_after=stalled_after
    )
    scheme = "http" if insecure_http else "https (mutual TLS)"
    queue = "with its production worker" if with_jobs else "without a job queue (SQLite)"
    typer.echo(
        f"agent of region {region} on {scheme} {host}:{port} (control-plane key {key_id}), {queue}"
    )
    run()
