"""``comity agent --region ID``: serve one region's agent, for a region on its own host.

The host needs the deployment directory with the region's store and key custody, the control
plane's public key (``keys/control-plane.pub.pem``), read access to the control plane (the agent
re-asks the law engine about the demand and accounts it holds), and for mutual TLS the deployment
CA's certificate and the agent's own certificate and key (``comity pki issue agent ID``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput


def agent(
    ctx: typer.Context,
    region: Annotated[
        str | None, typer.Option("--region", help="The region this agent serves.")
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8501,
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
    comity = open_comity(ctx)
    run = comity.serve_agent(region, host, port, insecure_http=insecure_http)
    scheme = "http" if insecure_http else "https (mutual TLS)"
    key_id = comity.trusted_control_plane_keys()[0].key_id
    typer.echo(f"agent of region {region} on {scheme} {host}:{port} (control-plane key {key_id})")
    run()
