"""Templates and the words the pages use, so a non-lawyer reads a pathway without a glossary."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from comity.entrypoints.web.case_words import history_words, state_words
from comity.entrypoints.web.court_forms import COURT_FORMS
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


def utc_and_zone(value: datetime | str | None, zone: str | None = None) -> str:
    """A deadline in UTC and, where the case has one, in the zone the law counts it in.

    The viewer's own zone is not known without script (Accept-Language names a language, not a
    zone), so the page shows UTC and the issuing court's zone, which is the one the deadline was
    counted in (``Case.zone``), and says which.
    """
    if value is None or value == "":
        return ""
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    text = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not zone or zone in ("UTC", "Etc/UTC"):
        return text
    try:
        local = when.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return text
    return f"{text} ({local.strftime('%Y-%m-%d %H:%M')} {zone})"


templates.env.globals.update(
    PATHWAYS=PATHWAYS,
    TONES=TONES,
    COURT_TITLES={f.kind: f.title for f in COURT_FORMS},
    state_words=state_words,
    history_words=history_words,
)
templates.env.filters["utc_and_zone"] = utc_and_zone


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
