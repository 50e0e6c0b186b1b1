"""``comity productions list DEMAND_ID`` and ``show PRODUCTION_ID``: a demand's productions and
one production with each region's part, for the operator."""

from __future__ import annotations

import json
from datetime import UTC

import typer

from comity.domain.registry import StaffRole, User
from comity.entrypoints.cli.context import open_comity
from comity.entrypoints.cli.produce_cmd import retry
from comity.entrypoints.cli.tables import JsonOption, WideOption, folding_table, print_table

app = typer.Typer(help="Productions of demands (see also: comity produce).", no_args_is_help=True)

#: The operator at the console reads with every staff role (reading is not logged).
OPERATOR = User("cli", "command line operator", "cli@localhost", roles=frozenset(StaffRole))


@app.command("list")
def list_(
    ctx: typer.Context, demand_id: str, as_json: JsonOption = False, wide: WideOption = False
) -> None:
    """A demand's productions: status, records, size, then each package's SHA-256 and path on
    lines of their own (whole, for copying)."""
    comity = open_comity(ctx)
    found = comity.productions.list_productions(OPERATOR, demand_id)
    if as_json:
        typer.echo(json.dumps([p.to_document() for p in found], indent=2))
        return
    table = folding_table(
        "id",
        "status",
        "records",
        "bytes",
        "produced (UTC)",
        "reason",
        whole={"id": [p.id for p in found], "status": [p.status for p in found]},
    )
    for p in found:
        table.add_row(
            p.id,
            p.status,
            "" if p.record_count is None else str(p.record_count),
            "" if p.size is None else str(p.size),
            p.produced_at.astimezone(UTC).strftime("%Y-%m-%d\n%H:%M"),  # date above time
            p.reason or "",
        )
    print_table(table, wide=wide)
    if not found:
        typer.echo(f"demand {demand_id} has no productions")
    for p in found:  # below the table, one per line: a hash or a path is copied whole
        typer.echo(f"{p.id} sha256: {p.sha256 or '(not published)'}")
        typer.echo(f"{p.id} package: {p.encrypted_path or p.path}")
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
    # One line per region's part, so its state and reason read whole at any width.
    for part in comity.productions.part_statuses(OPERATOR, production_id):
        facts = [part.state, f"{part.attempts} attempt{'s' if part.attempts != 1 else ''}"]
        if part.records is not None:
            facts.append(f"{part.records} records")
        if part.size is not None:
            facts.append(f"{part.size} bytes")
        if part.updated_at is not None:
            facts.append(f"updated {part.updated_at.isoformat()}")
        typer.echo(f"part {part.region}: " + ", ".join(facts))
        if part.reason:
            typer.echo(f"  reason: {part.reason}")


app.command("retry")(retry)
