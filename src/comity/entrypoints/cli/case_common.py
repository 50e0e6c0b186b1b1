"""What the case commands share: the acting person, the law engine, the one-line answer."""

from __future__ import annotations

from typing import Annotated

import typer

from comity.adapters.countries import known_countries
from comity.bootstrap import Comity
from comity.domain.workflow import Case
from comity.entrypoints.cli.demand_cmd import _user as user_named
from comity.services.cases import LawContext

__all__ = ["As", "AsJson", "Reason", "done", "law_context", "user_named"]

As = Annotated[str, typer.Option("--as", help="The person acting (user id)")]
Reason = Annotated[str, typer.Option("--reason", help="The written reason")]
AsJson = Annotated[bool, typer.Option("--json")]


def law_context(comity: Comity) -> LawContext:
    return LawContext(comity.assessor, comity.deployment, known_countries())


def done(case: Case) -> None:
    """One line after an action: where the case stands and what it allows next."""
    allowed = ", ".join(case.allowed_actions()) or "none"
    typer.echo(f"{case.case_id}: {case.state.value} (next: {allowed})")
