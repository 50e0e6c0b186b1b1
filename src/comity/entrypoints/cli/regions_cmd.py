"""``comity regions list [--check-keys] | prepare | rotate-key REGION``: regions, their stores
and keys."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.tables import JsonOption, WideOption, folding_table, print_table
from comity.errors import ComityError
from comity.services.custody.key_rotation import rotate_region_key
from comity.services.custody.ports import Keyring

app = typer.Typer(help="Regions: their stores, keys and agents.", no_args_is_help=True)


CheckKeysOption = Annotated[
    bool,
    typer.Option(
        "--check-keys",
        help="Also open each region's keyring (its key file or HSM) and show its key version; "
        "exit 1 if a region's key cannot be read.",
    ),
]


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: JsonOption = False,
    wide: WideOption = False,
    check_keys: CheckKeysOption = False,
) -> None:
    """Each region: country, store, key custody, its agent and the agent's certificate (the
    region it names and when it expires), from the deployment file alone: no key file is read
    and no HSM opened, so it works on a control-plane host that holds no region key (ADR
    0012/0014). With --check-keys, each keyring is opened and its key version shown."""
    comity = open_comity(ctx)
    home = f"{comity.home.resolve()}/"

    def short(text: str) -> str:
        """Paths inside the deployment directory, relative to it: what comity.toml says."""
        return text.replace(home, "")

    regions = comity.deployment.regions
    rows: list[dict[str, Any]] = []
    for region in regions:
        keyring = comity.region_keyring(region.id)
        cert = comity.agent_certificate(region.id)
        row: dict[str, Any] = {
            "id": region.id,
            "country": region.country,
            "store": region.store,
            "key_custody": short(keyring.custody),
            "agent": comity.agent_location(region.id),
            "agent_certificate": None
            if cert is None
            else {"role": cert.role, "not_after": cert.not_after.isoformat()},
        }
        if check_keys:
            row |= _key_state(keyring)
        rows.append(row)
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        _print(rows, check_keys=check_keys, wide=wide)
    unreadable = [row for row in rows if row.get("key_error")]
    for row in unreadable:
        typer.echo(f"region {row['id']}: {row['key_error']}", err=True)
    if unreadable:
        raise typer.Exit(1)


def _key_state(keyring: Keyring) -> dict[str, Any]:
    """The keyring's current version, or the one sentence saying why it cannot be read."""
    try:
        return {"key_version": keyring.current_version()}
    except ComityError as exc:
        return {"key_version": None, "key_error": str(exc)}


def _print(rows: list[dict[str, Any]], *, check_keys: bool, wide: bool) -> None:
    headers = ["region", "country", "store"]
    headers += ["key version"] if check_keys else []
    headers += ["key custody", "agent", "agent certificate"]
    table = folding_table(*headers, whole={"region": [row["id"] for row in rows]})
    for row in rows:
        cert = row["agent_certificate"]
        cells = [row["id"], row["country"], row["store"] or "-"]
        if check_keys:
            cells.append("unreadable" if row.get("key_error") else str(row["key_version"]))
        cells += [
            str(row["key_custody"]),
            str(row["agent"]),
            "-" if cert is None else f"{cert['role']} until {cert['not_after'][:10]}",
        ]
        table.add_row(*cells)
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
