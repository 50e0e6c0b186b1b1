"""``comity produce CASE_OR_DEMAND_ID``: issue the authorization, pull the records through the
regional agents, write and publish the package, and deliver the case (docs/productions.md)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from comity.domain.authorization import PackageOptions
from comity.domain.registry import User
from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput, NotFound
from comity.services.productions.ports import Production

#: Called as records arrive: (region, records so far, bytes so far).
ProgressFn = Callable[[str, int, int], None]


def produce(  # noqa: PLR0917 (typer passes every option by position)
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
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            help="Seconds to wait for another run producing the same case (default: refuse).",
        ),
    ] = 0.0,
    mbox: Annotated[
        bool | None,
        typer.Option(
            "--mbox/--no-mbox",
            help="Also put each account's messages in one mbox (default: comity.toml, else no).",
        ),
    ] = None,
    sha512: Annotated[
        bool | None,
        typer.Option(
            "--sha512/--no-sha512",
            help="Also list every file's SHA-512 (default: comity.toml, else SHA-256 only).",
        ),
    ] = None,
) -> None:
    """Produce an approved case (or a demand's case) into a signed, verifiable package."""
    user = _administrator(ctx, by)
    comity = open_comity(ctx)
    defaults = comity.package_options
    options = PackageOptions(
        defaults.mbox if mbox is None else mbox, defaults.sha512 if sha512 is None else sha512
    )

    def run(progress: ProgressFn) -> Production:
        return comity.productions.produce(
            user,
            ident,
            out_dir=out,
            encrypt_to=encrypt_to,
            progress=progress,
            wait=wait,
            options=options,
        )

    _report(_with_progress(run))


def retry(
    ctx: typer.Context,
    production_id: Annotated[str, typer.Argument(metavar="PRODUCTION_ID")],
    by: Annotated[
        str | None, typer.Option("--by", help="The administrator producing (a staff user id).")
    ] = None,
    encrypt_to: Annotated[
        list[str] | None,
        typer.Option("--encrypt-to", help="Also encrypt to this age recipient (age1...)."),
    ] = None,
    wait: Annotated[
        float,
        typer.Option("--wait", help="Seconds to wait for another run producing the same case."),
    ] = 0.0,
) -> None:
    """Run a failed production again (the same authorization while it is valid)."""
    user = _administrator(ctx, by)
    comity = open_comity(ctx)

    def run(progress: ProgressFn) -> Production:
        return comity.productions.retry(
            user, production_id, encrypt_to=encrypt_to, progress=progress, wait=wait
        )

    _report(_with_progress(run))


def _administrator(ctx: typer.Context, by: str | None) -> User:
    if not by:
        raise InvalidInput("--by: name the administrator who produces (a staff user id)")
    comity = open_comity(ctx)
    with comity.intake_uow() as uow:
        user = uow.intake.get_user(by)
    if user is None:
        raise NotFound(f"--by: no user with id {by!r}")
    return user


def _with_progress(run: Callable[[ProgressFn], Production]) -> Production:
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

        return run(progress)


def _report(production: Production) -> None:
    console = Console(highlight=False, soft_wrap=True)
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
