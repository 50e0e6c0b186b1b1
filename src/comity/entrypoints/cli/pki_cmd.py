"""``comity pki init | issue agent REGION | issue control-plane | list``: the deployment's private
CA and the certificates of mutual TLS between the control plane and the regional agents."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from comity.entrypoints.cli.context import open_comity

app = typer.Typer(
    help="The deployment's CA and the certificates of mutual TLS with the agents.",
    no_args_is_help=True,
)
issue_app = typer.Typer(
    help="Issue a certificate signed by the deployment CA.", no_args_is_help=True
)
app.add_typer(issue_app, name="issue")

Days = Annotated[int, typer.Option("--days", help="Days the certificate is valid.")]
Replace = Annotated[
    bool, typer.Option("--replace", help="Replace an existing certificate (rotation).")
]
Hosts = Annotated[
    list[str] | None,
    typer.Option("--host", help="A DNS name or IP address to add to the certificate (repeat)."),
]


def _print(facts: dict[str, object]) -> None:
    typer.echo(
        f"{facts['certificate']}: {facts['role']}, expires {facts['not_after']}, "
        f"serial {facts['serial']}, sha256 {facts['sha256']}"
    )


@app.command("init")
def init(ctx: typer.Context) -> None:
    """Create the deployment's private CA (its key owner-only, 0600); once per deployment."""
    _print(open_comity(ctx).create_ca())


@issue_app.command("agent")
def issue_agent(
    ctx: typer.Context,
    region: str,
    days: Days = 90,
    host: Hosts = None,
    replace: Replace = False,
) -> None:
    """The certificate of REGION's agent, naming urn:comity:region:REGION."""
    comity = open_comity(ctx)
    _print(comity.issue_certificate(region, days=days, hosts=tuple(host or ()), replace=replace))


@issue_app.command("control-plane")
def issue_control_plane(ctx: typer.Context, days: Days = 90, replace: Replace = False) -> None:
    """The control plane's client certificate, naming urn:comity:control-plane."""
    _print(open_comity(ctx).issue_certificate(None, days=days, replace=replace))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every certificate under pki/: its role, expiry and fingerprint."""
    comity = open_comity(ctx)
    table = Table("certificate", "role", "expires", "sha256")
    for info in comity.certificates():
        table.add_row(
            info.path.name, info.role, info.not_after.isoformat(), info.fingerprint[:16] + "…"
        )
    Console().print(table)
