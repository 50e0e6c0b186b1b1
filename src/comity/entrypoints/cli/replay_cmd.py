"""``comity replay microsoft-ireland [--json]``: a real case, date by date, through the engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from comity.bootstrap.rule_tools import replay_file
from comity.entrypoints.cli.replay_workflow_cmd import run_workflow
from comity.errors import NotFound
from comity.law.engine import LawEngine

REPLAYS = Path(__file__).resolve().parents[2] / "law" / "replays"


def replay(
    ctx: typer.Context,
    case: Annotated[str, typer.Argument(help="The case to replay, e.g. microsoft-ireland.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    pack: Annotated[Path | None, typer.Option("--pack", help="Rule pack directory.")] = None,
    workflow: Annotated[
        bool,
        typer.Option(
            "--workflow",
            help="Drive a real, stored case through every event (a temporary deployment "
            "unless --dir is given)",
        ),
    ] = False,
) -> None:
    """Walk a case's timeline; show the engine's pathway at each date beside the courts'."""
    if workflow:
        run_workflow(ctx, case, as_json=as_json)
        return
    script = REPLAYS / f"{case}.yaml"
    if not script.is_file():
        known = ", ".join(sorted(p.stem for p in REPLAYS.glob("*.yaml")))
        raise NotFound(f"no replay named {case!r} (known: {known})")
    report = replay_file(LawEngine.load(pack), script)
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        _print(report)
    if not report["all_match"]:
        raise typer.Exit(1)


def _print(report: dict[str, Any]) -> None:
    """One block per date: the event, then each group's pathway with what lies behind it."""
    console = Console(highlight=False, soft_wrap=True)
    rp = report["rule_pack"]
    console.print(f"{report['case']} (rule pack {rp['version']})", markup=False)
    for s in report["steps"]:
        mark = "matches the courts" if s["matches_courts"] else "DIFFERS FROM THE COURTS"
        console.print(f"\n{s['date']}  {s['event']}", markup=False)
        console.print(f"  court event: {s['citation']} -- {mark}", markup=False)
        for group, label in (("content", "content (Dublin)"), ("records", "records (US)")):
            if group not in s:
                continue
            f = s[group]["findings"][0]
            console.print(
                f"  {label}: {s[group]['pathway']} ({f['reason']}; {', '.join(f['rules'])})",
                markup=False,
            )
            if f.get("route"):
                r = f["route"]
                console.print(f"    route: {r['treaty']} -> {r['central_authority']}", markup=False)
            for c in f.get("conflicts") or []:
                console.print(f"    conflict: {c}", markup=False)
            for c in f.get("challenges") or []:
                console.print(f"    challenge: {c}", markup=False)
    console.print(
        "\nevery date matches the courts" if report["all_match"] else "\nMISMATCH with the courts",
        markup=False,
    )
