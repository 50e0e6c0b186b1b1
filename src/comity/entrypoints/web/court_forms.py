"""One typed form per court event kind, built from the fields the domain's model declares.

The API takes a court event as a JSON document (``domain/court_events.py``); on the page a legal
team member fills fields with words, choices and dates instead. Each form posts the kind and its
fields; ``event_from_form`` turns them back into the same document and the service parses it with
the same strict model (``parse_court_event``), so a wrong or missing field is named as the API
names it (``motion_id: Field required``). Nothing here decides what an event means: that is
``domain/case/court.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from starlette.datastructures import FormData

from comity.domain.categories import Category
from comity.errors import InvalidInput

FieldType = Literal["text", "day", "time", "choice", "yes_no", "check", "scope"]
PARTIES = (
    ("provider", "the provider (us)"),
    ("government", "the government"),
    ("customer", "the customer"),
    ("third_party", "a third party"),
)
SCOPE_CATEGORIES = tuple(c.value for c in Category)


@dataclass(frozen=True)
class CourtField:
    name: str
    label: str
    type: FieldType = "text"
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    help: str = ""


@dataclass(frozen=True)
class CourtForm:
    kind: str
    title: str
    #: Why a team records it, in a sentence, with the legal basis where there is one.
    explains: str
    fields: tuple[CourtField, ...]


_SCOPE = CourtField(
    "scope",
    "Which findings it concerns (none ticked: all of them)",
    "scope",
    help="Stored abroad: only data held outside the issuing country (the Microsoft Ireland "
    "question).",
)


def _motion(kind: str, title: str, explains: str) -> CourtForm:
    return CourtForm(
        kind,
        title,
        explains,
        (
            CourtField("motion_id", "Motion number or name", required=True),
            CourtField("by", "Filed by", "choice", required=True, choices=PARTIES),
            _SCOPE,
            CourtField(
                "time_extended",
                "The time to move was extended (government agreed, or the court extended it)",
                "check",
            ),
        ),
    )


COURT_FORMS: tuple[CourtForm, ...] = (
    _motion(
        "motion_to_quash",
        "Motion to quash",
        "Filed against the demand; the disputed findings wait for the ruling.",
    ),
    _motion(
        "motion_to_modify",
        "Motion to modify",
        "Asks the court to narrow the demand; the disputed findings wait for the ruling.",
    ),
    _motion(
        "motion_2703h",
        "Motion under 18 U.S.C. 2703(h)(2)",
        "A provider's motion to quash or modify for a qualifying foreign government's law "
        "(CLOUD Act comity analysis), due within 14 days of service.",
    ),
    CourtForm(
        "ruling",
        "Ruling",
        "The court decides a motion or appeal. Grants and denies are said of the provider's "
        "challenge: granted quashes the demand within its scope, denied leaves it standing.",
        (
            CourtField(
                "outcome",
                "Outcome",
                "choice",
                required=True,
                choices=(("denies", "denies the challenge"), ("grants", "grants the challenge")),
            ),
            CourtField("decides", "Decides motion or appeal (default: the latest pending)"),
            _SCOPE,
            CourtField("vacates_contempt", "It vacates a contempt finding", "check"),
        ),
    ),
    CourtForm(
        "stay",
        "Stay",
        "A stay pending appeal, granted or refused.",
        (CourtField("granted", "Stay granted", "yes_no", required=True),),
    ),
    CourtForm(
        "contempt",
        "Contempt",
        "The provider held in contempt for not producing.",
        (
            CourtField("sanctions", "With sanctions", "yes_no", required=True),
            CourtField("stipulated", "Stipulated (agreed, to allow an appeal)", "check"),
        ),
    ),
    CourtForm(
        "appeal",
        "Appeal",
        "An appeal, or a petition for certiorari.",
        (
            CourtField("appeal_id", "Appeal number or name", required=True),
            CourtField("by", "Appealed by", "choice", required=True, choices=PARTIES),
            CourtField("certiorari", "A petition for certiorari", "check"),
        ),
    ),
    CourtForm(
        "petition_rehearing",
        "Petition for rehearing",
        "A petition for rehearing, filed or decided.",
        (
            CourtField("petition_id", "Petition number or name", required=True),
            CourtField("by", "Petitioned by", "choice", required=True, choices=PARTIES),
            CourtField(
                "outcome",
                "Where it stands",
                "choice",
                required=True,
                choices=(("filed", "filed"), ("granted", "granted"), ("denied", "denied")),
            ),
            CourtField("en_banc", "En banc", "check"),
        ),
    ),
    CourtForm(
        "proceeding",
        "Other proceeding",
        "A step that changes nothing for the provider: argument, an amicus brief, certiorari "
        "granted.",
        (CourtField("what", "What happened", required=True),),
    ),
    CourtForm(
        "law_change",
        "Change in the law",
        "The law moved (e.g. the CLOUD Act); re-assess the open case afterwards.",
        (
            CourtField("what", "What changed", required=True),
            CourtField("citation", "Citation", required=True),
            CourtField("effective", "In force from", "day", required=True),
        ),
    ),
    CourtForm(
        "moot",
        "Moot",
        "A party moves, or agrees, that the dispute is moot.",
        (CourtField("by", "Said by", "choice", required=True, choices=PARTIES),),
    ),
    CourtForm(
        "judgment_vacated",
        "Judgment vacated",
        "The judgment below is vacated; as moot and dismissed, the case may close.",
        (
            CourtField("moot", "Vacated as moot", "yes_no", required=True),
            CourtField("dismiss", "With instructions to dismiss", "check"),
        ),
    ),
    CourtForm(
        "replacement_demand",
        "Replacement demand",
        "A new demand replaces this one (e.g. a CLOUD Act warrant after the law changed).",
        (
            CourtField("reference", "Its reference", required=True),
            CourtField("received_at", "Received at (UTC)", "time", required=True),
        ),
    ),
)
COURT_KINDS = tuple(f.kind for f in COURT_FORMS)
BY_KIND = {f.kind: f for f in COURT_FORMS}
#: Fields every kind has: which court, a note, when (last: a date-time input takes several
#: Tab stops).
COMMON = (
    CourtField("court", "Court"),
    CourtField("note", "Note"),
    CourtField("at", "When it happened (UTC; default: now)", "time"),
)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _utc_time(raw: str, name: str) -> str:
    """A ``datetime-local`` value (no zone) read as UTC, as the label says."""
    if len(raw) == len("2026-11-30") and raw[4:5] == "-":
        return f"{raw}T00:00:00Z"
    if len(raw) in (len("2026-11-30T10:00"), len("2026-11-30T10:00:00")) and raw[10:11] == "T":
        return f"{raw}Z"
    raise InvalidInput(f"{name}: expected a time as YYYY-MM-DDTHH:MM (UTC), got {raw!r}")


def _scope(form: FormData) -> dict[str, Any] | None:
    categories = [str(c) for c in form.getlist("scope_categories")]
    unknown = [c for c in categories if c not in SCOPE_CATEGORIES]
    if unknown:
        raise InvalidInput(
            f"scope: unknown data category {unknown[0]!r} (expected {', '.join(SCOPE_CATEGORIES)})"
        )
    abroad = _text(form, "scope_stored_abroad") == "yes"
    if not categories and not abroad:
        return None
    return {"categories": categories, "stored_abroad": abroad}


def event_from_form(form: FormData, kind: str) -> dict[str, Any]:
    """The typed form's fields as the court event document the API takes (only what was given,
    so a missing required field is named by the model, not guessed here)."""
    spec = BY_KIND.get(kind)
    if spec is None:
        return {}
    event: dict[str, Any] = {}
    for field in spec.fields + COMMON:
        raw = _text(form, field.name)
        if field.type == "scope":
            if (scope := _scope(form)) is not None:
                event["scope"] = scope
        elif field.type == "check":
            if raw:
                event[field.name] = raw == "yes"
        elif field.type == "yes_no":
            if raw in ("yes", "no"):
                event[field.name] = raw == "yes"
            elif raw:
                raise InvalidInput(f"{field.name}: expected yes or no, got {raw!r}")
        elif not raw:
            continue
        elif field.type == "time":
            event[field.name] = _utc_time(raw, field.name)
        else:
            event[field.name] = raw
    return event
