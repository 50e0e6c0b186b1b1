"""Templates and the words the pages use, so a non-lawyer reads a pathway without a glossary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from comity.entrypoints.web.visitor import Visitor

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

#: Contract section 5 pathways, in words.
PATHWAYS = {
    "disclose": "Must hand over",
    "may_disclose": "May hand over (not compelled)",
    "notify_then_disclose": "Hand over once the notified authority's objection period passes",
    "preserve": "Preserve only, do not hand over",
    "object": "Object or move to quash first; preserve meanwhile",
    "redirect_mlat": "Not reachable: the state must ask through mutual legal assistance",
    "redirect_entity": "Serve another entity",
    "reject": "Refuse: invalid or insufficient",
    "no_data": "No data held",
    "needs_review": "A person must decide: the rules do not",
    "mixed": "Differs by record",
}
#: Colour class per pathway (text always says it too; colour is never the only signal).
TONES = {
    "disclose": "go",
    "may_disclose": "go",
    "notify_then_disclose": "wait",
    "preserve": "wait",
    "object": "stop",
    "redirect_mlat": "stop",
    "redirect_entity": "stop",
    "reject": "stop",
    "no_data": "none",
}
templates.env.globals.update(PATHWAYS=PATHWAYS, TONES=TONES)


def page(
    request: Request,
    name: str,
    visitor: Visitor | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"visitor": visitor, **context}, status_code=status_code
    )
