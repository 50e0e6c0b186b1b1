"""``comity replay NAME --workflow``: the scripted case driven through a real, persisted case.

Without ``--dir`` it builds a temporary deployment (SQLite control plane, regions ``us-west`` and
``eu-ie``) and removes it afterwards; with ``--dir`` it uses that deployment and leaves the
replayed cases (ids suffixed) on its record. Exits 1 if the stored case does not end as the
courts' outcome says.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from importlib import resources
from pathlib import Path

import typer
from rich.console import Console

from comity.bootstrap import Comity, open_deployment
from comity.domain.case import replays
from comity.domain.case.replay import SCRIPTS, Frame, load_script_text
from comity.errors import NotFound
from comity.services.cases.replay import PersistedReplay, replay_persisted

TOML = """\
# A throw-away deployment for comity replay --workflow.
[provider]
name = "Microsoft Corporation (replay)"
established_in = "US"
offers_services_in = ["US", "IE"]

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"

[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"
"""


def run_workflow(ctx: typer.Context, name: str, *, as_json: bool) -> None:
    if name not in SCRIPTS:
        raise NotFound(f"no workflow replay named {name!r} (known: {', '.join(sorted(SCRIPTS))})")
    script = load_script_text(resources.files(replays).joinpath(SCRIPTS[name]).read_text())
    given = ctx.obj.get("dir") if isinstance(ctx.obj, dict) else None
    console = Console(highlight=False, soft_wrap=True)
    show = None if as_json else (lambda frame: _print(console, frame))
    if given is not None:
        comity = open_deployment(Path(given))
        result = _run(comity, script, "-" + uuid.uuid4().hex[:6], show)
    else:
        with tempfile.TemporaryDirectory(prefix="comity-replay-") as home:
            (Path(home) / "comity.toml").write_text(TOML)
            comity = open_deployment(Path(home))
            comity.ensure_audit_key()
            comity.migrate()
            comity.prepare_regions()
            result = _run(comity, script, "", show)
            comity.engine.dispose()
    if as_json:
        typer.echo(json.dumps(_document(result), indent=2))
    else:
        _outcome(console, result)
    if result.problems:
        raise typer.Exit(1)


def _run(comity: Comity, script, suffix: str, show) -> PersistedReplay:  # type: ignore[no-untyped-def]
    return replay_persisted(
        comity.intake_uow,
        comity.region_store,
        frozenset(comity.deployment.region_ids),
        script,
        suffix=suffix,
        on_frame=show,
    )


def _print(console: Console, frame: Frame) -> None:
    precision = "" if frame.date_precision == "day" else f" ({frame.date_precision} date)"
    console.print(f"\n{frame.at.date()}{precision}  {frame.label}", markup=False)
    if frame.source:
        console.print(f"  source: {frame.source}", markup=False)
    console.print(f"  state: {frame.state}   events: {', '.join(frame.events)}", markup=False)
    for key, status in frame.findings.items():
        console.print(f"    {key}: {status}", markup=False)
    for hold in (*frame.holds, *frame.replacement_holds):
        if hold.released_at is not None:
            state = f"released {hold.released_at.date()}"
        elif hold.active:
            state = f"active until {hold.expires_at.date() if hold.expires_at else 'released'}"
        else:
            state = "expired"
        categories = ",".join(hold.categories)
        console.print(
            f"  hold {hold.hold_id}: {categories} in {hold.region}, {state}", markup=False
        )
    for d in frame.deadlines:
        console.print(f"  due {d.due_at.date()}: {d.kind} ({d.citation})", markup=False)
    if frame.replacement_state is not None:
        console.print(f"  replacement case: {frame.replacement_state}", markup=False)
        for key, status in (frame.replacement_findings or {}).items():
            console.print(f"    {key}: {status}", markup=False)


def _outcome(console: Console, result: PersistedReplay) -> None:
    case = result.case
    console.print(
        f"\ncase {case.case_id}: {case.state.value}; outcome: {case.outcome}; "
        f"replaced by {case.replaced_by or '-'}",
        markup=False,
    )
    if result.problems:
        for p in result.problems:
            console.print(f"DIFFERS FROM THE COURTS: {p}", markup=False)
    else:
        console.print("the stored case ends as the courts decided", markup=False)


def _document(result: PersistedReplay) -> dict[str, object]:
    return {
        "case": result.case.case_id,
        "state": result.case.state.value,
        "outcome": result.case.outcome,
        "replaced_by": result.case.replaced_by,
        "replacement": None if result.replacement is None else result.replacement.case_id,
        "matches_courts": not result.problems,
        "problems": result.problems,
        "frames": [f.model_dump(mode="json") for f in result.frames],
    }
