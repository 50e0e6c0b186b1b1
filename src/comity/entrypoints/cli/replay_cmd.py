"""``comity replay microsoft-ireland [--json]``: a real case, date by date, through the engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from comity.adapters.law_files import read_replay
from comity.errors import NotFound
from comity.law.engine import LawEngine
from comity.law.replay import run_replay

REPLAYS = Path(__file__).resolve().parents[2] / "law" / "replays"


def replay(
    case: Annotated[str, typer.Argument(help="The case to replay, e.g. microsoft-ireland.")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    pack: Annotated[Path | None, typer.Option("--pack", help="Rule pack directory.")] = None,
) -> None:
    """Walk a case's timeline; show the engine's pathway at each date beside the courts'."""
    script = REPLAYS / f"{case}.yaml"
    if not script.is_file():
        known = ", ".join(sorted(p.stem for p in REPLAYS.glob("*.yaml")))
        raise NotFound(f"no replay named {case!r} (known: {known})")
    report = run_replay(LawEngine.load(pack), read_replay(script))
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        console = Console(highlight=False, soft_wrap=True)
        console.print(report["case"], markup=False)
        table = Table("date", "event", "content (Dublin)", "records (US)", "courts", "match")
        for s in report["steps"]:
            content = s.get("content", {})
            cf = (content.get("findings") or [{}])[0]
            extra = []
            if cf.get("route"):
                extra.append(f"route {cf['route']['treaty']}")
            if cf.get("conflicts"):
                extra.append("conflict: " + "; ".join(c.split(":")[0] for c in cf["conflicts"]))
            if cf.get("challenges"):
                extra.append("challenge: " + "; ".join(c.split(" (")[0] for c in cf["challenges"]))
            table.add_row(
                s["date"],
                s["event"],
                f"{content.get('pathway', '-')} ({cf.get('reason', '-')})"
                + ("\n" + "\n".join(extra) if extra else ""),
                s.get("records", {}).get("pathway", "-"),
                ", ".join(f"{k}: {v}" for k, v in s["courts"].items()),
                "yes" if s["matches_courts"] else "NO",
            )
        console.print(table)
        console.print(
            "every date matches the courts" if report["all_match"] else "MISMATCH with the courts",
            markup=False,
        )
    if not report["all_match"]:
        raise typer.Exit(1)
