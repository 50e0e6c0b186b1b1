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

from comity.adapters.controlplane.etsi_repo import etsi_uow_factory
from comity.adapters.countries import known_countries
from comity.adapters.etsi import codec
from comity.bootstrap import Comity
from comity.entrypoints.cli.context import open_comity
from comity.errors import InvalidInput
from comity.services.cases import LawContext
from comity.services.etsi import hi1
from comity.services.etsi.message import Element
from comity.services.etsi.ports import EtsiUowFactory

#: Where ``comity serve`` answers by default; deployments behind a proxy pass their own.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def _etsi_uow(comity: Comity) -> EtsiUowFactory:
    return etsi_uow_factory(comity.engine, comity.clock.now, comity.audit_signer)


def _regions(comity: Comity) -> list[tuple[str, str]]:
    return [(r.id, r.country) for r in comity.deployment.regions]


def _write(message: Element, form: str) -> bytes:
    if form not in ("xml", "json"):
        raise InvalidInput(f"--format: expected xml or json, got {form!r}")
    return codec.to_xml(message) if form == "xml" else codec.to_json(message)


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
        law = None
        if open_case:  # each demand's case opens in the call that files it
            law = LawContext(comity.assessor, comity.deployment, known_countries())
        try:
            parsed = codec.parse(body)
            result = hi1.handle(
                _etsi_uow(comity),
                comity.clock,
                OPERATOR,
                parsed,
                known_countries=known_countries(),
                regions=_regions(comity),
                instrument=instrument,
                law=law,
            )
        except InvalidInput as exc:
            exc.problems = [f"{message}: {p}" for p in exc.problems]
            raise
        for warning in result.warnings:
            typer.echo(f"warning: {message}: {warning}", err=True)
        for imported in result.demands:
            typer.echo(imported.record.id)
        if answer is not None:
            answer.write_bytes(_write(result.message, parsed.form))

    @app.command("hi1-status")
    def status(
        ctx: typer.Context,
        demand_id: str,
        form: Annotated[str, typer.Option("--format", help="xml or json")] = "xml",
    ) -> None:
        """Print the HI-1 notification of an imported demand's status (each task's status)."""
        comity = open_comity(ctx)
        message = hi1.status_message(_etsi_uow(comity), comity.clock, OPERATOR, demand_id)
        typer.echo(_write(message, form).decode("utf-8"))

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
        comity = open_comity(ctx)

        def link() -> tuple[str, datetime | None]:
            token, made = comity.productions.create_link(OPERATOR, production_id)
            return f"{base_url.rstrip('/')}/downloads/{token}", made.expires_at

        message = hi1.delivery_message(
            _etsi_uow(comity), comity.clock, OPERATOR, production_id, link=link
        )
        typer.echo(_write(message, form).decode("utf-8"))
