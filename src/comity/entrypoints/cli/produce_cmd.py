"""``comity produce CASE_OR_DEMAND_ID``: issue the authorization, pull the records through the
regional agents, write and publish the package, and deliver the case (docs/productions.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput, NotFound


def produce(
    ctx: typer.Context,
    ident: Annotated[str, typer.Argument(metavar="CASE_OR_DEMAND_ID")],
    by: Annotated[
        str | None, typer.Option("--by", help="The administrator producing (a staff user id).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Directory for the package (default productions/).")
    ] = None,
    encrypt_to: Annotated[
        list[str] | None,
        typer.Option("--encrypt-to", help="Also encrypt to this age recipient (age1...)."),
    ] = None,
) -> None:
    """Produce an approved case (or a demand's case) into a signed, verifiable package."""
    if not by:
        raise InvalidInput("--by: name the administrator who produces (a staff user id)")
    comity = open_comity(ctx)
    with comity.intake_uow() as uow:
        user = uow.intake.get_user(by)
    if user is None:
        raise NotFound(f"--by: no user with id {by!r}")
    console = Console(highlight=False, soft_wrap=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[mb]:.1f} MB"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("checking the authorization with the regions", total=None, mb=0.0)

        def progress(region: str, records: int, size: int) -> None:
            if records % 100 == 1:
                bar.update(task, description=f"{region}: {records} records", mb=size / 1e6)

        production = comity.productions.produce(
            user, ident, out_dir=out, encrypt_to=encrypt_to, progress=progress
        )
    lines = [
        f"production {production.id} of case {production.case_id}: published",
        f"package: {production.path}",
        f"sha256: {production.sha256}",
        f"records: {production.record_count}, {production.size} bytes",
    ]
    if production.encrypted_path:
        lines.append(f"encrypted: {production.encrypted_path}")
    lines.append(f"check it with: comity verify {production.path}")
    for line in lines:
        console.print(line, markup=False)
