"""Court events in a demand's life: motions, rulings, contempt, appeals, rehearing, mootness.

These are the facts a legal team records; ``comity.domain.case.court`` applies them to a case
the way they work in practice. ``grants`` and ``denies`` are always said of the provider's
challenge: a ruling that grants quashes the demand within its scope; one that denies leaves the
demand standing (the provider must produce, or keep fighting).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from comity.domain.case.model import FindingRef
from comity.domain.categories import Category
from comity.domain.inputs import (
    EARLIEST_DAY,
    LATEST_DAY,
    TEXT_PATTERN,
    WHEN_PATTERN,
    shape_problem,
    text_problems,
    validation_problems,
)
from comity.domain.values import Frozen, Instant
from comity.errors import InvalidInput, collect


class FindingScope(Frozen):
    """Which findings an event is about; an empty scope means all of them.

    ``stored_abroad`` limits it to data held outside the issuing country (the Microsoft Ireland
    question: content stored only in Dublin).
    """

    categories: tuple[Category, ...] = ()
    regions: tuple[str, ...] = ()
    stored_abroad: bool = False

    def matches(self, finding: FindingRef, issuer_country: str) -> bool:
        if self.categories and finding.category not in self.categories:
            return False
        if self.regions and finding.region not in self.regions:
            return False
        return not (
            self.stored_abroad
            and (finding.data_country is None or finding.data_country == issuer_country)
        )


Party = Literal["provider", "government", "customer", "third_party"]


class _Event(Frozen):
    at: Instant
    court: str | None = None
    note: str | None = None
    #: Precision of ``at`` in the source: a month-only date is recorded on the 1st.
    date_precision: Literal["day", "month", "inferred"] = "day"


class Motion(_Event):
    kind: Literal["motion_to_quash", "motion_to_modify", "motion_2703h"]
    motion_id: str
    by: Party = "provider"
    scope: FindingScope = FindingScope()
    #: 2703(h)(2)(A): the government agreed, or the court extended on a timely application.
    time_extended: bool = False


class Ruling(_Event):
    kind: Literal["ruling"] = "ruling"
    #: The motion or appeal it decides (default: the latest pending one).
    decides: str | None = None
    outcome: Literal["grants", "denies"]
    scope: FindingScope = FindingScope()
    vacates_contempt: bool = False


class Stay(_Event):
    kind: Literal["stay"] = "stay"
    granted: bool


class Contempt(_Event):
    kind: Literal["contempt"] = "contempt"
    sanctions: bool
    stipulated: bool = False


class Appeal(_Event):
    kind: Literal["appeal"] = "appeal"
    appeal_id: str
    by: Party
    certiorari: bool = False


class RehearingPetition(_Event):
    kind: Literal["petition_rehearing"] = "petition_rehearing"
    petition_id: str
    by: Party
    outcome: Literal["filed", "granted", "denied"]
    en_banc: bool = False


class Proceeding(_Event):
    """A step that changes nothing for the provider (argument, amicus brief, certiorari granted)."""

    kind: Literal["proceeding"] = "proceeding"
    what: str


class LawChange(_Event):
    """The law moved (e.g. the CLOUD Act); the open case should be re-assessed."""

    kind: Literal["law_change"] = "law_change"
    what: str
    citation: str
    effective: date


class Moot(_Event):
    """A party moves, or agrees, that the dispute is moot."""

    kind: Literal["moot"] = "moot"
    by: Party


class JudgmentVacated(_Event):
    kind: Literal["judgment_vacated"] = "judgment_vacated"
    moot: bool
    dismiss: bool = False


class ReplacementDemand(_Event):
    kind: Literal["replacement_demand"] = "replacement_demand"
    reference: str
    received_at: Instant


CourtEvent = Annotated[
    Motion
    | Ruling
    | Stay
    | Contempt
    | Appeal
    | RehearingPetition
    | Proceeding
    | LawChange
    | Moot
    | JudgmentVacated
    | ReplacementDemand,
    Field(discriminator="kind"),
]

COURT_EVENT: TypeAdapter[CourtEvent] = TypeAdapter(CourtEvent)


def parse_court_event(doc: object, *, now: datetime) -> CourtEvent:
    """The one parse of a court event, from the API body, the console form or the CLI options.

    ``at`` defaults to ``now``. The document is measured before it is validated (a form's details
    nested 20,000 deep made the validator itself fail), its texts are checked for control and
    bidi characters, and every problem is one sentence naming the field.
    """
    problems: list[str] = []
    if why := shape_problem(doc, "event"):
        problems.append(why)
    elif not isinstance(doc, dict):
        problems.append(
            f"event: expected an object with kind and its fields, got {type(doc).__name__}"
        )
    else:
        problems += text_problems(doc)
    collect(problems)
    assert isinstance(doc, dict)
    try:
        # Validated as the JSON it is (strict: a time or a day is a string, a yes/no a boolean,
        # never a number read as a Unix time); the CLI's YAML values are written as JSON first.
        text = json.dumps({"at": now.isoformat(), **doc}, default=_as_json)
        event = COURT_EVENT.validate_json(text, strict=True)
    except ValidationError as exc:
        # A tagged union puts the kind first in each error's location: name the field alone.
        errors = [
            {**err, "loc": err["loc"][1:]} if err["loc"][:1] == (doc.get("kind"),) else err
            for err in exc.errors()
        ]
        collect(validation_problems(errors))
        raise
    times = {"at": event.at}
    if isinstance(event, ReplacementDemand):
        times["received_at"] = event.received_at
    for field, value in times.items():
        if not EARLIEST_DAY <= value.date() <= LATEST_DAY:
            raise InvalidInput(
                f"{field}: {value.isoformat()} is implausible: expected a time from "
                f"{EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"
            )
    return event


def _as_json(value: object) -> str:
    """A day or time a YAML value (``comity case court --set``) carries, as JSON writes it."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


#: Court events a client may copy: each is accepted by ``POST /cases/{id}/court`` as it is.
COURT_EVENT_EXAMPLES: list[dict[str, Any]] = [
    {"kind": "motion_to_quash", "motion_id": "m-1", "court": "us.nysd", "note": "filed today"},
    {"kind": "ruling", "outcome": "denies", "decides": "m-1"},
    {"kind": "proceeding", "what": "oral argument"},
]


def _as_accepted(node: Any) -> Any:
    """``node`` saying what ``parse_court_event`` accepts: times with an offset from 1970 to
    2199 (``When``'s pattern), texts without control or bidi characters (``text_problems``)."""
    if isinstance(node, list):
        return [_as_accepted(item) for item in node]
    if not isinstance(node, dict):
        return node
    if node.get("format") == "date-time":
        return {
            **{k: v for k, v in node.items() if k != "format"},
            "pattern": WHEN_PATTERN,
        }
    changed = {key: _as_accepted(value) for key, value in node.items()}
    if changed.get("type") == "string" and not {"enum", "const", "pattern", "format"} & set(
        changed
    ):
        changed["pattern"] = TEXT_PATTERN
    return changed


def court_event_json_schema() -> dict[str, Any]:
    """The court event's schema as OpenAPI components, ``CourtEvent`` and one per kind.

    ``at`` is optional in the request (it defaults to the time of recording), so it is left out
    of each kind's required fields; component names carry the ``CourtEvent`` prefix so that no
    other document's names collide with them.
    """
    schema = COURT_EVENT.json_schema(ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})
    renamed = {name: name if name == "Category" else f"CourtEvent{name}" for name in defs}
    text = json.dumps({"defs": defs, "root": schema})
    for old, new in renamed.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    moved = json.loads(text)
    components: dict[str, Any] = {}
    for old, body in moved["defs"].items():
        if "at" in body.get("required", []):
            body["required"] = [f for f in body["required"] if f != "at"]
            body["properties"]["at"]["description"] = "When it happened; default: now"
        if "kind" in body.get("properties", {}):
            # the kind picks the event: a body without one is refused, so it is required
            body["required"] = ["kind", *[f for f in body.get("required", []) if f != "kind"]]
        components[renamed[old]] = _as_accepted(body)
    root = moved["root"]
    root["title"] = "CourtEvent"
    root["examples"] = COURT_EVENT_EXAMPLES
    components["CourtEvent"] = root
    return components
