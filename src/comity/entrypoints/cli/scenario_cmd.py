"""``comity scenario run FILE... [--json]``: check the rule pack against legal test cases.

Exit 0 when every expectation is met, 1 when some are not, 2 when a file is invalid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from comity.bootstrap.rule_tools import run_scenario_files
from comity.law.engine import LawEngine
from comity.law.scenario import ScenarioResult

app = typer.Typer(help="Run scenario files (executable legal test cases).", no_args_is_help=True)


def expand(files: list[Path]) -> list[Path]:
    """Files as given; a directory stands for the scenario files in it."""
    out: list[Path] = []
    for f in files:
        out += sorted(f.glob("*.yaml")) if f.is_dir() else [f]
    return out


@app.command("run")
def run(
    files: Annotated[list[Path], typer.Argument(help="Scenario files or directories.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    pack: Annotated[Path | None, typer.Option("--pack", help="Rule pack directory.")] = None,
) -> None:
    """Run scenarios and report each expectation."""
    results: list[ScenarioResult] = run_scenario_files(LawEngine.load(pack), expand(files))
    if as_json:
        typer.echo(json.dumps({"scenarios": [r.to_document() for r in results]}, indent=2))
    else:
        console = Console(highlight=False, soft_wrap=True)
        for r in results:
            passed = sum(c["ok"] for c in r.checks)
            mark = "ok  " if r.ok else "FAIL"
            console.print(f"{mark} {r.name} ({passed}/{len(r.checks)})  {r.source}", markup=False)
            for c in r.checks:
                if not c["ok"]:
                    console.print(
                        f"     {c['as_of']} {c['target']} {c['category']}: expected "
                        f"{c['expected']}, got {c['actual']}",
                        markup=False,
                    )
        total = sum(len(r.checks) for r in results)
        failed = sum(1 for r in results for c in r.checks if not c["ok"])
        console.print(f"{len(results)} scenarios, {total} checks, {failed} failed", markup=False)
    if not all(r.ok for r in results):
        raise typer.Exit(1)
