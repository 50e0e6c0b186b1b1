"""``comity regions list | prepare | rotate-key REGION``: regions, their stores and keys."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.tables import JsonOption, WideOption, folding_table, print_table
from comity.services.custody.key_rotation import rotate_region_key

app = typer.Typer(help="Regions: their stores and keys.", no_args_is_help=True)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False, wide: WideOption = False) -> None:
    """Each region with its country, store and current key version."""
    comity = open_comity(ctx)
    regions = comity.deployment.regions
    versions = [comity.region_store(r.id).keyring.current_version() for r in regions]
    if as_json:
        rows = [
            {"id": r.id, "country": r.country, "store": r.store, "key_version": v}
            for r, v in zip(regions, versions, strict=True)
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = folding_table(
        "region", "country", "store", "key version", whole={"region": [r.id for r in regions]}
    )
    for r, v in zip(regions, versions, strict=True):
        table.add_row(r.id, r.country, r.store or "-", str(v))
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
