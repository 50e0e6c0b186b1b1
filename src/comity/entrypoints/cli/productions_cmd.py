"""``comity productions list DEMAND_ID`` and ``show PRODUCTION_ID``: a demand's productions and
one production with each region's part, for the operator."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from comity.domain.registry import Role, User
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.produce_cmd import retry

app = typer.Typer(help="Productions of demands (see also: comity produce).", no_args_is_help=True)

#: The operator at the console reads with every staff role (reading is not logged).
OPERATOR = User("cli", "command line operator", "cli@localhost", roles=frozenset(Role))


@app.command("list")
def list_(ctx: typer.Context, demand_id: str) -> None:
    """A demand's productions: status, records, size and the package's SHA-256."""
    comity = open_comity(ctx)
    found = comity.productions.list_productions(OPERATOR, demand_id)
    table = Table("id", "status", "records", "bytes", "produced at", "sha256", "path", "reason")
    for p in found:
        table.add_row(
            p.id,
            p.status,
            "" if p.record_count is None else str(p.record_count),
            "" if p.size is None else str(p.size),
            p.produced_at.isoformat(),
            p.sha256 or "",
            p.encrypted_path or p.path,
            p.reason or "",
        )
    Console(highlight=False, width=200).print(table)
    if not found:
        typer.echo(f"demand {demand_id} has no productions")
    for p in found:
        if p.status == "failed":
            typer.echo(
                f"production {p.id} failed: {p.reason}; retry it with: comity productions retry "
                f"{p.id} --by ADMIN"
            )


@app.command("show")
def show(ctx: typer.Context, production_id: str) -> None:
    """One production, and each region's part as its agent reports it now."""
    comity = open_comity(ctx)
    p = comity.productions.get(OPERATOR, production_id)
    typer.echo(f"production {p.id} of case {p.case_id} (demand {p.demand_id}): {p.status}")
    typer.echo(f"produced at: {p.produced_at.isoformat()}; custodian: {p.custodian}")
    typer.echo(f"package: {p.encrypted_path or p.path}")
    if p.sha256:
        typer.echo(f"sha256: {p.sha256}; records: {p.record_count}, {p.size} bytes")
    if p.reason:
        typer.echo(f"reason: {p.reason}")
    table = Table("region", "part", "attempts", "records", "bytes", "updated", "reason")
    for part in comity.productions.part_statuses(OPERATOR, production_id):
        table.add_row(
            part.region,
            part.state,
            str(part.attempts),
            "" if part.records is None else str(part.records),
            "" if part.size is None else str(part.size),
            part.updated_at.isoformat() if part.updated_at else "",
            part.reason or "",
        )
    Console(highlight=False, width=200).print(table)


app.command("retry")(retry)
