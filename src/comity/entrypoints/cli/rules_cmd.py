"""``comity rules diff OLD_PACK NEW_PACK --demands FILE...``: what a rule change would change.

Demands are JSON demand documents (assessed with this deployment's accounts, on the day each was
received or ``--as-of``) or scenario files (assessed with their own deployment and accounts on each
of their expectation dates).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from comity.bootstrap.rule_tools import pack_diff
from comity.entrypoints.cli.assess_cmd import parse_day
from comity.entrypoints.cli.context import open_comity
from comity.law.engine import LawEngine

app = typer.Typer(help="Rule pack tools.", no_args_is_help=True)


@app.command("check")
def check(
    pack: Annotated[Path | None, typer.Argument(help="Pack directory (default: shipped).")] = None,
) -> None:
    """Load and validate a rule pack against its schema; print its version, digest and rules."""
    engine = LawEngine.load(pack)
    p = engine.pack
    by_effect: dict[str, int] = {}
    for rule in p.rules.values():
        by_effect[rule.effect] = by_effect.get(rule.effect, 0) + 1
    typer.echo(f"pack {p.path}: version {p.version}, {p.digest}")
    typer.echo(
        f"valid: {len(p.rules)} rules ("
        + ", ".join(f"{n} {e}" for e, n in sorted(by_effect.items()))
        + f"), {len(p.facts.countries)} countries, {len(p.facts.districts)} US districts, "
        f"{len(p.facts.treaties)} treaties"
    )


@app.command("diff")
def diff(
    ctx: typer.Context,
    old_pack: Annotated[Path, typer.Argument(help="The pack in force.")],
    new_pack: Annotated[Path, typer.Argument(help="The proposed pack.")],
    *,
    demands: Annotated[list[Path], typer.Option("--demands", help="Demand or scenario files.")],
    as_of: Annotated[str | None, typer.Option("--as-of")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-assess demands under both packs and list the findings that change."""
    report = pack_diff(
        old_pack, new_pack, demands, parse_day(as_of, "--as-of"), lambda: open_comity(ctx)
    )
    old, new, changes = report["old"], report["new"], report["changes"]
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"{old['version']} ({old['digest'][:19]}...) -> {new['version']} "
        f"({new['digest'][:19]}...): {len(changes)} changed findings in {report['demands']} "
        "demands",
        markup=False,
    )
    for c in changes:
        console.print(
            f"- {c['demand']} as of {c['as_of']}: {c['target']} {c['category']} "
            f"({c['region']}): "
            + "; ".join(f"{f} {c['old'][f]!r} -> {c['new'][f]!r}" for f in c["changed"]),
            markup=False,
        )
