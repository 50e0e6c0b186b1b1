"""The Microsoft Ireland case as a page: what the law required on each date, and what the
provider's legal team did, for someone who has never read 18 U.S.C. 2703.

Both halves are computed, not written: the law half is the rule pack run on each date of
``law/replays/microsoft-ireland.yaml`` (as ``comity replay`` does), the workflow half is the case
state machine driven through ``domain/case/replays/microsoft_ireland.yaml``. The page needs no
sign-in: it shows a public court case, no customer data.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from comity.bootstrap.rule_tools import replay_file
from comity.domain.case import replays
from comity.domain.case.replay import SCRIPTS, load_script_text, run
from comity.entrypoints.web.render import page
from comity.entrypoints.web.visitor import comity_of, current_visitor

router = APIRouter(include_in_schema=False)
LAW_SCRIPT = Path(__file__).resolve().parents[2] / "law" / "replays" / "microsoft-ireland.yaml"
#: What the case workflow calls each finding's status, in words.
STATUS_WORDS = {
    "pending": "awaiting decision",
    "produce": "to be produced",
    "produced": "produced",
    "withhold": "withheld",
    "contested": "contested in court",
    "ordered": "ordered by the court",
    "quashed": "quashed by the court",
    "superseded": "superseded by the new warrant",
}


def _group(step: dict[str, Any], name: str) -> dict[str, Any] | None:
    group = step.get(name)
    if not group:
        return None
    first = group["findings"][0]
    return {
        "pathway": group["pathway"],
        "court": step["courts"].get(name),
        "explanation": first.get("explanation", ""),
        "reason": first.get("reason", ""),
        "rules": first.get("rules", []),
        "route": first.get("route"),
        "conflicts": first.get("conflicts", []),
        "challenges": first.get("challenges", []),
    }


def build(request: Request) -> dict[str, Any]:
    """Both timelines; computed once per process (they depend only on the rule pack)."""
    cached: dict[str, Any] | None = getattr(request.app.state, "ireland", None)
    if cached is not None:
        return cached
    report = replay_file(comity_of(request).law_engine, LAW_SCRIPT)
    law = [
        {
            "date": s["date"],
            "event": s["event"],
            "citation": s["citation"],
            "matches": s["matches_courts"],
            "content": _group(s, "content"),
            "records": _group(s, "records"),
        }
        for s in report["steps"]
    ]
    text = resources.files(replays).joinpath(SCRIPTS["microsoft-ireland"]).read_text("utf-8")
    frames, _case, _replacement = run(load_script_text(text))
    workflow = []
    for f in frames:
        content = [v for k, v in f.findings.items() if "|content|" in k]
        records = sorted({v for k, v in f.findings.items() if "|content|" not in k})
        workflow.append(
            {
                "date": f.at.date().isoformat(),
                "label": f.label,
                "precision": f.date_precision,
                "state": f.state.replace("_", " "),
                "content": STATUS_WORDS.get(content[0], content[0]) if content else "",
                "records": ", ".join(STATUS_WORDS.get(r, r) for r in records),
                "holds": sum(1 for h in f.holds if h.active),
                "replacement": f.replacement_state,
            }
        )
    built = {"law": law, "workflow": workflow, "report": report}
    request.app.state.ireland = built
    return built


@router.get("/microsoft-ireland", response_class=HTMLResponse)
async def microsoft_ireland(request: Request) -> HTMLResponse:
    data = await run_in_threadpool(build, request)
    visitor = await run_in_threadpool(current_visitor, request)
    return page(request, "ireland.html", visitor, **data)
