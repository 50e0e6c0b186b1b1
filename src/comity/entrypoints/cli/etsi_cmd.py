"""``comity demand import | hi1-status | hi1-deliver``: ETSI TS 103 120 (HI-1) messages.

``import`` files each authorisation of an HI-1 request as a demand (printing the demand ids, the
warnings on standard error) and can write the HI-1 answer the sender expects. ``hi1-status`` prints
the notification of a demand's current status; ``hi1-deliver`` creates a download link for a
published production and prints the DeliveryObject that points at it. See docs/etsi.md.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput

#: Where ``comity serve`` answers by default; deployments behind a proxy pass their own.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def _form(form: str) -> str:
    if form not in ("xml", "json"):
        raise InvalidInput(f"--format: expected xml or json, got {form!r}")
    return form


def register(app: typer.Typer) -> None:
    """Add the HI-1 commands to the ``demand`` group."""
    from comity.entrypoints.cli.demand_cmd import OPERATOR  # noqa: PLC0415 - no import cycle

    @app.command("import")
    def import_(
        ctx: typer.Context,
        message: Annotated[Path, typer.Argument(help="An HI-1 request, MESSAGE.xml or .json")],
        instrument: Annotated[
            str | None,
            typer.Option(help="Comity instrument id when the message names none (e.g. eu.epoc)"),
        ] = None,
        answer: Annotated[
            Path | None, typer.Option(help="Write the HI-1 response here (same form as sent)")
        ] = None,
        open_case: Annotated[
            bool, typer.Option("--case/--no-case", help="Open each demand's case at once")
        ] = True,
    ) -> None:
        """Import an ETSI TS 103 120 request; print the demand id of each authorisation."""
        comity = open_comity(ctx)
        try:
            body = message.read_bytes()
        except FileNotFoundError:
            raise InvalidInput(f"{message}: no such file") from None
        try:  # with open_case, each demand's case opens in the call that files it
            result = comity.hi1.receive(
                OPERATOR,
                body,
                instrument=instrument,
                law=comity.law_context if open_case else None,
            )
        except InvalidInput as exc:
            exc.problems = [f"{message}: {p}" for p in exc.problems]
            raise
        for warning in result.warnings:
            typer.echo(f"warning: {message}: {warning}", err=True)
        for demand_id in result.demand_ids:
            typer.echo(demand_id)
        if answer is not None:
            answer.write_bytes(result.body)

    @app.command("hi1-status")
    def status(
        ctx: typer.Context,
        demand_id: str,
        form: Annotated[str, typer.Option("--format", help="xml or json")] = "xml",
    ) -> None:
        """Print the HI-1 notification of an imported demand's status (each task's status)."""
        answer = open_comity(ctx).hi1.status(OPERATOR, demand_id, _form(form))
        typer.echo(answer.decode("utf-8"))

    @app.command("hi1-deliver")
    def deliver(
        ctx: typer.Context,
        production_id: str,
        base_url: Annotated[
            str, typer.Option(help="Where the API answers, for the download link")
        ] = DEFAULT_BASE_URL,
        form: Annotated[str, typer.Option("--format", help="xml or json")] = "xml",
    ) -> None:
        """Create a download link for a published production; print its HI-1 DeliveryObject."""
        chosen = _form(form)
        comity = open_comity(ctx)

        def link() -> tuple[str, datetime | None]:
            token, made = comity.productions.create_link(OPERATOR, production_id)
            return f"{base_url.rstrip('/')}/downloads/{token}", made.expires_at

        answer = comity.hi1.delivery(OPERATOR, production_id, chosen, link)
        typer.echo(answer.decode("utf-8"))
