"""``comity accounts move ID --to REGION [--category CAT]``: move records between regions."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from comity.domain.categories import Category
from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput
from comity.services.custody.moves import move_account


def move(
    ctx: typer.Context,
    account_id: str,
    to: Annotated[str, typer.Option("--to", help="The destination region.")],
    category: Annotated[
        str | None, typer.Option("--category", help="Move only this data category.")
    ] = None,
) -> None:
    """Re-encrypt the account's records under the destination key, verify, then delete at the
    source. Re-run the same command to finish a move that was interrupted."""
    comity = open_comity(ctx)
    cat = None
    if category is not None:
        try:
            cat = Category.parse(category)
        except ValueError as exc:
            raise InvalidInput(f"--category: {exc}") from None
    report = move_account(
        comity.uow,
        comity.move_journal,
        comity.region_store,
        account_id,
        to,
        category=cat,
        actor="cli",
        clock=comity.clock,
    )
    for line in report.lines():
        Console().print(line, markup=False)
