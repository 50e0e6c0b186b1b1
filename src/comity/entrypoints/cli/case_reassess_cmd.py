"""``comity case reassess``: the law again on an open case, as of a new date or under another
rule pack, and what changed (``services/cases/reassess.py``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from comity.entrypoints.cli.assess_cmd import parse_day
from comity.entrypoints.cli.case_common import As, Reason, done, law_context, user_named
from comity.entrypoints.cli.context import open_comity
from comity.law.engine import LawEngine
from comity.services.assessment.law_assessor import LawAssessor
from comity.services.cases.actions import LawContext
from comity.services.cases.reassess import reassess as reassess_case


def reassess(  # noqa: PLR0917 - one parameter per CLI option
    ctx: typer.Context,
    case_id: str,
    as_user: As,
    reason: Reason,
    as_of: Annotated[str | None, typer.Option(help="The law as of YYYY-MM-DD")] = None,
    pack: Annotated[Path | None, typer.Option(help="Another rule pack directory")] = None,
) -> None:
    """Re-assess an open case as of a new date or under another rule pack; print what changed."""
    comity = open_comity(ctx)
    law = law_context(comity)
    if pack is not None:
        assessor = LawAssessor(LawEngine.load(pack), comity.deployment, comity.uow)
        law = LawContext(assessor, law.deployment, law.known_countries)
    result = reassess_case(
        comity.intake_uow,
        comity.clock,
        user_named(comity, as_user),
        case_id,
        law,
        reason=reason,
        as_of=parse_day(as_of, "--as-of"),
    )
    done(result.case)
    typer.echo(f"re-assessed {result.basis}; assessment {result.assessment_id}")
    if not result.diff:
        typer.echo("nothing changed")
    for change in result.diff:
        typer.echo(f"  {change['finding']}: {', '.join(change['changed'])} changed")
        for name in change["changed"]:
            old, new = change["old"][name], change["new"][name]
            typer.echo(f"    {name}: {json.dumps(old)} -> {json.dumps(new)}")
