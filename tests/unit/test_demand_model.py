"""The demand's one model: any JSON a client sends is a Demand or sentences, never a crash.

Found while replacing the hand-written parser: a ``via`` or a contact with ``null`` values made
Pydantic's length constraint fail inside the validator (a 500 through ``POST /demands``), and the
shipped scenarios had court names that YAML split into unknown fields the old parser ignored.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from comity.domain.demand_schema import (
    SELECTOR_PATTERNS,
    DemandDocument,
    demand_json_schema,
    parse_demand,
)
from comity.domain.inputs import DAY_PATTERN, WHEN_PATTERN, DelayIn, parse_input
from comity.law.countries import known_countries

COUNTRIES = known_countries()
EXAMPLE: dict[str, Any] = {
    **DemandDocument.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index]
    "received_at": "2013-12-04T16:00:00Z",
}
PATHS = [
    ("via",),
    ("emergency",),
    ("requesting_agency", "contact"),
    ("offence", "committed_in"),
    ("non_disclosure",),
    ("issuing_authority", "forum"),
    ("targets", 0, "role"),
    ("period", "start"),
    ("categories", 0),
    ("reference",),
    ("dated",),
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "email", "treaty", "channel", "x"]), inner)
    ),
    max_leaves=8,
)


def _set(doc: dict[str, Any], path: tuple[Any, ...], value: object) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    target: Any = changed
    for part in path[:-1]:
        if isinstance(target, dict) and not isinstance(target.get(part), dict | list):
            target[part] = {}
        target = target[part]
    target[path[-1]] = value
    return changed


def test_the_published_example_is_a_demand() -> None:
    demand, problems = parse_demand(EXAMPLE, known_countries=COUNTRIES)
    assert problems == []
    assert demand is not None
    assert demand.reference == "13-MAG-2814"


@given(st.sampled_from(PATHS), json_values)
@settings(max_examples=300, deadline=None)
def test_any_value_anywhere_is_a_demand_or_sentences_naming_fields(
    path: tuple[Any, ...], value: object
) -> None:
    doc = _set(EXAMPLE, path, value)
    demand, problems = parse_demand(doc, known_countries=COUNTRIES)
    assert (demand is None) == bool(problems)
    for problem in problems:
        assert re.match(r"^[a-z_]+(\[\d+\]|\.[a-z_]+)*: \S", problem), problem


def test_null_parts_of_a_via_or_a_contact_are_sentences_not_a_crash() -> None:
    """Schemathesis: ``{"via": {"treaty": null, "requesting_country": null}}`` answered 500."""
    doc = {**EXAMPLE, "via": {"treaty": None, "requesting_country": None}}
    assert parse_demand(doc, known_countries=COUNTRIES) == (
        None,
        [
            "via.channel: expected one of mla, executive_agreement, eio, direct, "
            "police_cooperation, got nothing"
        ],
    )
    agency = {"name": "DEA", "country": "US", "contact": {"name": None, "email": None}}
    demand, problems = parse_demand(
        {**EXAMPLE, "requesting_agency": agency}, known_countries=COUNTRIES
    )
    assert problems == []
    assert demand is not None


@given(st.from_regex(DAY_PATTERN, fullmatch=True))
@settings(max_examples=200, deadline=None)
def test_every_day_the_schema_allows_is_accepted(day: str) -> None:
    _, problems = parse_demand(
        {**EXAMPLE, "period": {"start": day, "end": day}}, known_countries=COUNTRIES
    )
    assert problems == []


@given(st.from_regex(WHEN_PATTERN, fullmatch=True))
@settings(max_examples=200, deadline=None)
def test_every_time_the_schema_allows_is_accepted(when: str) -> None:
    assert parse_input(DelayIn, {"start": when}).start.tzinfo is not None
    _, problems = parse_demand({**EXAMPLE, "dated": when}, known_countries=COUNTRIES)
    assert problems == []


@given(st.sampled_from(sorted(SELECTOR_PATTERNS)).flatmap(
    lambda kind: st.tuples(st.just(kind), st.from_regex(SELECTOR_PATTERNS[kind], fullmatch=True))
))  # fmt: skip
@settings(max_examples=200, deadline=None)
def test_every_selector_the_schema_allows_is_accepted(selector: tuple[str, str]) -> None:
    kind, value = selector
    doc = {**EXAMPLE, "targets": [{"type": kind, "value": value}]}
    _, problems = parse_demand(doc, known_countries=COUNTRIES)
    assert problems == []


def test_the_schema_lists_what_intake_knows() -> None:
    schema, components = demand_json_schema(
        countries=frozenset({"US", "IE"}),
        instruments=frozenset({"us.warrant"}),
        us_districts=frozenset({"nysd"}),
    )
    assert components["CountryCode"]["enum"] == ["IE", "US"]
    assert schema["properties"]["instrument"]["enum"] == ["us.warrant"]
    forum = components["IssuingAuthorityDoc"]["properties"]["forum"]
    assert {"type": "string", "enum": ["us.nysd"]} in forum["anyOf"]
    other = next(s["pattern"] for s in forum["anyOf"] if "pattern" in s)
    assert re.match(other, "ie.dublin")
    assert not re.match(other, "us.nyzz")
    assert components["IssuingAuthorityDoc"]["properties"]["country"] == {
        "$ref": "#/components/schemas/CountryCode"
    }
