"""Published schemas say exactly what the server accepts (Schemathesis' positive-data check).

Each test is a "schema-valid request rejected" failure Schemathesis found: a date in year 556,
a window of ``000000000000000``, a non-disclosure order both dated and indefinite, a blank
verification note, an e-mail address ``000``. The schema now refuses what the server refuses.
"""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.domain.inputs import (
    DAY_PATTERN,
    EMAIL_PATTERN,
    FILLED_TEXT_PATTERN,
    NonDisclosureIn,
    numbers_up_to,
    parse_day,
)
from comity.errors import InvalidInput
from comity.services.cases.due import WINDOW_PATTERN, parse_window

spans = st.from_regex(r"\A[0-9]{1,9}[mhdw]\Z") | st.text(max_size=12)


@given(spans)
@settings(max_examples=400, deadline=None)
def test_the_window_pattern_is_what_parse_window_accepts(text: str) -> None:
    try:
        parse_window(text)
    except InvalidInput:
        accepted = False
    else:
        accepted = True
    assert accepted == bool(re.match(WINDOW_PATTERN, text)), text


@pytest.mark.parametrize("limit", [0, 7, 9, 10, 104, 731, 17544, 1052640])
def test_numbers_up_to_matches_exactly_zero_to_the_limit(limit: int) -> None:
    pattern = re.compile(f"^{numbers_up_to(limit)}$")
    assert [n for n in range(limit * 2 + 20) if pattern.match(str(n))] == list(range(limit + 1))
    assert pattern.match(f"00{limit}")


@given(st.dates())
@settings(max_examples=400, deadline=None)
def test_the_day_pattern_is_what_a_day_accepts(day: object) -> None:
    text = str(day)
    try:
        parse_day(text, "day")
    except InvalidInput:
        accepted = False
    else:
        accepted = True
    assert accepted == bool(re.match(DAY_PATTERN, text)), text


@pytest.mark.parametrize(
    ("order", "valid"),
    [
        ({"until": "2027-06-30"}, True),
        ({"indefinite": True}, True),
        ({"until": "2027-06-30", "indefinite": False}, True),
        ({"until": "2027-06-30", "indefinite": True}, False),
        ({"indefinite": False}, False),
        ({}, False),
        ({"until": None, "indefinite": True}, True),
    ],
)
def test_a_non_disclosure_order_is_dated_or_indefinite_in_the_schema_too(
    order: dict[str, object], valid: bool
) -> None:
    validator = jsonschema_rs.validator_for(NonDisclosureIn.model_json_schema())
    assert validator.is_valid(order) == valid
    try:
        NonDisclosureIn.model_validate(order)
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert accepted == valid


def test_blank_text_and_a_non_address_are_outside_the_published_patterns() -> None:
    assert not re.match(FILLED_TEXT_PATTERN, " \t")
    assert re.match(FILLED_TEXT_PATTERN, "called the duty desk\nat 10:00")
    assert not re.match(EMAIL_PATTERN, "000")
    assert re.match(EMAIL_PATTERN, "agent@dea.gov")
