"""``comity regions list | prepare | rotate-key REGION``: regions, their stores and keys."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.tables import JsonOption, WideOption, folding_table, print_table
from comity.services.custody.key_rotation import rotate_region_key

app = typer.Typer(help="Regions: their stores, keys and agents.", no_args_is_help=True)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False, wide: WideOption = False) -> None:
    """Each region: country, store, key custody and version, its agent and the agent's
    certificate (the region it names and when it expires)."""
    comity = open_comity(ctx)
    home = f"{comity.home.resolve()}/"

    def short(text: str) -> str:
        """Paths inside the deployment directory, relative to it: what comity.toml says."""
        return text.replace(home, "")

    regions = comity.deployment.regions
    certs = [comity.agent_certificate(region.id) for region in regions]
    rows = []
    for region, cert in zip(regions, certs, strict=True):
        keyring = comity.region_store(region.id).keyring
        rows.append(
            {
                "id": region.id,
                "country": region.country,
                "store": region.store,
                "key_custody": short(keyring.custody),
                "key_version": keyring.current_version(),
                "agent": comity.agent_location(region.id),
                "agent_certificate": None
                if cert is None
                else {"role": cert.role, "not_after": cert.not_after.isoformat()},
            }
        )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = folding_table(
        "region",
        "country",
        "store",
        "key version",
        "key custody",
        "agent",
        "agent certificate",
        whole={"region": [region.id for region in regions]},
    )
    for region, cert, row in zip(regions, certs, rows, strict=True):
        table.add_row(
            region.id,
            region.country,
            region.store or "-",
            str(row["key_version"]),
            str(row["key_custody"]),
            str(row["agent"]),
            "-" if cert is None else f"{cert.role} until {cert.not_after:%Y-%m-%d}",
        )
    print_table(table, wide=wide)


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
