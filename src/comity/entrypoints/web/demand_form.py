"""The portal's submission form, turned into a demand document (contract section 4).

The form is a front for the same JSON the API takes: every field maps to one key, and whatever
is wrong is reported by the demand parser under that key, so the portal and the API speak with
one voice. Empty optional fields are left out rather than sent as empty strings.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import FormData

from comity.domain.categories import Category
from comity.domain.demand import AUTHORITY_KINDS

INSTRUMENTS = (
    ("us.warrant", "US search warrant, 18 U.S.C. 2703"),
    ("us.2703d_order", "US court order, 18 U.S.C. 2703(d)"),
    ("us.subpoena", "US subpoena"),
    ("us.preservation", "US preservation request, 2703(f)"),
    ("us.emergency_request", "US emergency disclosure request"),
    ("eu.epoc", "European Production Order Certificate"),
    ("eu.epoc_pr", "European Preservation Order Certificate"),
    ("uk.opo", "UK Overseas Production Order"),
    ("au.ipo", "Australian International Production Order"),
    ("ie.production_order", "Irish production order"),
    ("ca.production_order", "Canadian production order"),
    ("br.judicial_requisition", "Brazilian judicial requisition"),
)
KINDS = AUTHORITY_KINDS
CATEGORIES = tuple(c.value for c in Category)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text  # the parser names the field and what it expected


def _targets(text: str) -> list[dict[str, str]]:
    """One target a line: ``type:value`` (``email:x@y``), or a bare e-mail address."""
    targets = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        kind, sep, value = line.partition(":")
        if sep and "@" not in kind:
            targets.append({"type": kind.strip(), "value": value.strip()})
        else:
            targets.append({"type": "email", "value": line})
    return targets


def demand_from_form(form: FormData) -> bytes:
    """The demand JSON for a filled-in form; intake sets ``received_at`` (contract section 4)."""
    doc: dict[str, Any] = {
        "reference": _text(form, "reference"),
        "issuing_authority": {
            "country": _text(form, "issuer_country").upper(),
            "kind": _text(form, "issuer_kind"),
            "name": _text(form, "issuer_name"),
        },
        "instrument": _text(form, "instrument"),
        "categories": [str(c) for c in form.getlist("categories")],
        "targets": _targets(_text(form, "targets")),
    }
    if forum := _text(form, "issuer_forum"):
        doc["issuing_authority"]["forum"] = forum
    if agency := _text(form, "agency_name"):
        doc["requesting_agency"] = {
            "name": agency,
            "country": _text(form, "agency_country").upper(),
        }
    start, end = _text(form, "period_start"), _text(form, "period_end")
    if start or end:
        doc["period"] = {"start": start, "end": end}
    if offence := _text(form, "offence_description"):
        doc["offence"] = {"description": offence}
        if years := _text(form, "offence_years"):
            doc["offence"]["max_custodial_years"] = _number(years)
        if where := _text(form, "offence_country"):
            doc["offence"]["committed_in"] = where.upper()
    if until := _text(form, "non_disclosure_until"):
        doc["non_disclosure"] = {"until": until}
    if threat := _text(form, "emergency_threat"):
        doc["emergency"] = {"threat": threat, "verified_by": None}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")
