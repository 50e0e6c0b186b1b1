"""``comity authorities add FILE | list | show ID | verify ID | set-status ID STATUS``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml

from comity.domain.registry import AuthorityStatus
from comity.entrypoints.cli.accounts_cmd import read_structured
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.tables import JsonOption, WideOption, folding_table, print_table
from comity.errors import InvalidInput
from comity.law.countries import known_countries
from comity.services import registry

app = typer.Typer(help="The registry of courts, prosecutors and agencies.", no_args_is_help=True)


@app.command("add")
def add(ctx: typer.Context, file: Path) -> None:
    """Register the authority described in FILE (YAML or JSON), status pending unless given."""
    comity = open_comity(ctx)
    authority = registry.add_authority(
        comity.intake_uow,
        comity.clock,
        read_structured(file),
        known_countries=known_countries(),
        actor="cli",
    )
    typer.echo(authority.id)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOption = False, wide: WideOption = False) -> None:
    """List registered authorities."""
    authorities = registry.list_authorities(open_comity(ctx).intake_uow)
    if as_json:
        typer.echo(json.dumps([a.to_document() for a in authorities], indent=2))
        return
    table = folding_table(
        "id",
        "name",
        "country",
        "kind",
        "status",
        "domains",
        "keys",
        whole={"id": [a.id for a in authorities], "status": [a.status for a in authorities]},
    )
    for a in authorities:
        table.add_row(
            a.id, a.name, a.country, a.kind, a.status, ", ".join(a.domains), str(len(a.keys))
        )
    print_table(table, wide=wide)


@app.command("show")
def show(ctx: typer.Context, authority_id: str) -> None:
    """Show one authority as YAML."""
    authority = registry.get_authority(open_comity(ctx).intake_uow, authority_id)
    typer.echo(yaml.safe_dump(authority.to_document(), sort_keys=False).rstrip())


@app.command("verify")
def verify(
    ctx: typer.Context,
    authority_id: str,
    note: Annotated[str, typer.Option(help="How it was verified")] = "",
) -> None:
    """Mark an authority verified after checking it independently."""
    comity = open_comity(ctx)
    registry.set_authority_status(
        comity.intake_uow,
        comity.clock,
        authority_id,
        AuthorityStatus.VERIFIED,
        actor="cli",
        note=note,
    )
    typer.echo(f"{authority_id}: verified")


@app.command("set-status")
def set_status(ctx: typer.Context, authority_id: str, status: str) -> None:
    """Set an authority's status: pending, verified, suspended or blocklisted."""
    try:
        value = AuthorityStatus(status)
    except ValueError:
        raise InvalidInput(
            f"STATUS: expected pending, verified, suspended or blocklisted, got {status!r}"
        ) from None
    comity = open_comity(ctx)
    registry.set_authority_status(comity.intake_uow, comity.clock, authority_id, value, actor="cli")
    typer.echo(f"{authority_id}: {value.value}")
