"""What the case commands share: the acting person, the law engine, the one-line answer."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from comity.bootstrap import Comity
from comity.domain.inputs import M, parse_input
from comity.domain.workflow import Case
from comity.entrypoints.cli.demand_cmd import _user as user_named
from comity.errors import InvalidInput, collect
from comity.law.countries import known_countries
from comity.services.cases.actions import LawContext

__all__ = ["As", "AsJson", "Reason", "done", "law_context", "option_input", "user_named"]

As = Annotated[str, typer.Option("--as", help="The person acting (user id)")]
Reason = Annotated[str, typer.Option("--reason", help="The written reason")]
AsJson = Annotated[bool, typer.Option("--json")]


def law_context(comity: Comity) -> LawContext:
    return LawContext(comity.assessor, comity.deployment, known_countries())


def done(case: Case) -> None:
    """One line after an action: where the case stands and what it allows next."""
    allowed = ", ".join(case.allowed_actions()) or "none"
    typer.echo(f"{case.case_id}: {case.state.value} (next: {allowed})")


def option_input(model: type[M], options: dict[str, Any], names: dict[str, str] | None = None) -> M:
    """The options as the input model the API takes, so both refuse the same things.

    Each problem names the option (``--start: ...``) rather than the document's field;
    ``names`` maps a field to its option or argument where they differ.
    """
    given = {name: value for name, value in options.items() if value is not None}
    try:
        return parse_input(model, given)
    except InvalidInput as exc:
        renamed = []
        for problem in exc.problems:
            field, sep, rest = problem.partition(": ")
            if field in (names or {}):
                renamed.append(f"{(names or {})[field]}{sep}{rest}")
            elif sep and field.isidentifier():
                renamed.append(f"--{field.replace('_', '-')}{sep}{rest}")
            else:
                renamed.append(problem)
        collect(renamed)
        raise
