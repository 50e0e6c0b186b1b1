"""``comity regions list | prepare | rotate-key REGION``: regions, their stores and keys."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from comity.entrypoints.cli.context import open_comity
from comity.services.keys import rotate_region_key

app = typer.Typer(help="Regions: their stores, keys and agents.", no_args_is_help=True)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Each region: country, store, key custody and version, its agent and the agent's
    certificate (the region it names and when it expires)."""
    comity = open_comity(ctx)
    table = Table()
    for name in ("region", "store", "key custody", "agent", "agent certificate"):
        table.add_column(name, overflow="fold")  # folded, never cut: paths and dates matter
    home = f"{comity.home.resolve()}/"

    def short(text: str) -> str:
        """Paths inside the deployment directory, relative to it: what comity.toml says."""
        return text.replace(home, "")

    for region in comity.deployment.regions:
        keyring = comity.region_store(region.id).keyring
        cert = comity.agent_certificate(region.id)
        table.add_row(
            f"{region.id} ({region.country})",
            short(region.store or "-"),
            f"{short(keyring.custody)}, key v{keyring.current_version()}",
            comity.agent_location(region.id),
            "-" if cert is None else f"{cert.role} until {cert.not_after:%Y-%m-%d}",
        )
    Console().print(table)


@app.command("prepare")
def prepare(ctx: typer.Context) -> None:
    """Migrate the control plane and create the store and key of every region that lacks them,
    after regions were added to comity.toml. Existing stores and keys are kept as they are."""
    comity = open_comity(ctx)
    comity.migrate()
    for line in comity.prepare_regions():
        typer.echo(line)


@app.command("rotate-key")
def rotate_key(ctx: typer.Context, region: str) -> None:
    """Add a new key version to REGION and re-wrap every data key; content is not re-encrypted.
    Re-run it to finish a rotation that was interrupted."""
    comity = open_comity(ctx)
    version, count = rotate_region_key(
        comity.uow, comity.region_store, region, actor="cli", clock=comity.clock
    )
    Console().print(f"region {region}: key version {version}, {count} data key(s) re-wrapped")
