"""The input models: aware and plausible times, clean text, bounded shapes, one sentence a field.

Each test here is a defect reproduced through the API before the models existed: a naive delay
start stored in a case made every list that read it fail, year 1 and 9999 were accepted as the
date of a demand, a NUL or a bidi control passed into a reference, an order both dated and
indefinite was kept, an unknown instrument or court was stored for the law engine to refuse
later, and a court event nested 20,000 deep failed inside the validator.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.intake_support import demand_doc

from comity.domain import inputs
from comity.domain.case.notice import NoticePlan
from comity.domain.court_events import Ruling, parse_court_event
from comity.domain.demand import RequestingAgency, Vocabulary
from comity.domain.demand_schema import parse_demand
from comity.domain.fraud import agency_signs
from comity.domain.inputs import (
    DecisionIn,
    DelayIn,
    NonDisclosureIn,
    parse_day,
    parse_input,
    shape_problem,
    text_problem,
    validation_problems,
)
from comity.domain.registry import Authority, AuthorityStatus, StaffRole, User
from comity.errors import InvalidInput
from comity.law.countries import known_countries
from comity.services.cases.due import parse_window
from comity.services.intake.demands import stamp_received

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
COUNTRIES = known_countries()


def problems_of(doc: dict[str, object]) -> list[str]:
    demand, problems = parse_demand(doc, known_countries=COUNTRIES)
    assert (demand is None) == bool(problems)
    return problems


def test_a_delay_without_a_time_zone_is_refused_naming_start() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_input(DelayIn, {"start": "2026-11-30T00:00:00"})
    assert caught.value.problems == ["start: needs a time zone offset, e.g. 2026-11-30T00:00:00Z"]
    delay = parse_input(DelayIn, {"start": "2026-11-30T01:00:00+01:00", "periods": 2})
    assert delay.start == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert delay.start.tzinfo is UTC


@pytest.mark.parametrize("start", ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z"])
def test_an_implausible_delay_start_is_refused(start: str) -> None:
    with pytest.raises(InvalidInput, match=r"^start: the date .* is implausible"):
        parse_input(DelayIn, {"start": start})


@pytest.mark.parametrize("start", ["0001-01-01T00:00:03+01:00", "9999-12-31T23:59:00-01:00"])
def test_a_time_that_leaves_the_calendar_in_utc_is_refused_not_a_crash(start: str) -> None:
    """Found by Schemathesis: year 1 east of UTC (and year 9999 west) overflowed to a 500."""
    with pytest.raises(InvalidInput, match=r"^start: the time .* is implausible"):
        parse_input(DelayIn, {"start": start})
    with pytest.raises(InvalidInput, match=r"^at: "):
        parse_court_event({"kind": "stay", "granted": True, "at": start}, now=NOW)
    assert problems_of({**demand_doc("R-1"), "dated": start}) == [
        f"dated: expected a plausible time, 1970-01-01 to 2199-12-31, got '{start}'"
    ]


def test_a_non_disclosure_order_is_dated_or_indefinite_never_both() -> None:
    with pytest.raises(InvalidInput, match=r"^until: an order cannot both end on a day and be"):
        parse_input(NonDisclosureIn, {"until": "2027-01-01", "indefinite": True})
    with pytest.raises(InvalidInput, match=r"^until: a non-disclosure order needs an end date"):
        parse_input(NonDisclosureIn, {})
    with pytest.raises(InvalidInput, match=r"^until: the date 9999-12-31 is implausible"):
        parse_input(NonDisclosureIn, {"until": "9999-12-31"})
    assert parse_input(NonDisclosureIn, {"indefinite": True}).indefinite


def test_the_notice_plan_itself_refuses_a_naive_time_and_a_double_order() -> None:
    """The domain does not rely on its callers: a naive time never reaches a stored case."""
    plan = NoticePlan()
    with pytest.raises(InvalidInput, match=r"^delayed_from: needs a time zone offset"):
        plan.changed(delayed_from=datetime(2026, 11, 30), delay_periods=1)
    with pytest.raises(InvalidInput, match=r"^until: an order cannot both"):
        plan.changed(non_disclosure_until=date(2027, 1, 1), non_disclosure_indefinite=True)
    changed = plan.changed(delayed_from=NOW, delay_periods=1)
    assert changed.delayed_from == NOW


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("13-MAG\x002814", "contains a NUL byte at position 6"),
        ("13-MAG-\u202e4182", "contains the Unicode bidirectional control U+202E at position 7"),
        ("line\u2066", "contains the Unicode bidirectional control U+2066 at position 4"),
        ("bell\x07", "contains the control character U+0007 at position 4"),
    ],
)
def test_text_with_nul_control_or_bidi_characters_is_refused(text: str, why: str) -> None:
    assert text_problem(text) == why


def test_line_breaks_are_text_but_not_a_line() -> None:
    assert text_problem("first\nsecond\ttabbed") is None
    assert text_problem("first\nsecond", single_line=True) == (
        "contains the control character U+000A at position 5"
    )
    assert text_problem("Polizeipräsidium Köln, 東京地方裁判所") is None


def test_a_deeply_nested_value_is_measured_without_recursion() -> None:
    deep: object = {}
    for _ in range(20_000):
        deep = {"a": deep}
    assert shape_problem(deep, "details") == "details: nested more than 8 levels deep"
    assert shape_problem([0] * 5000, "details") == (
        "details: more than 2000 values; a court event is a few fields"
    )
    assert shape_problem({"note": "x" * 30_000}, "details") == (
        "details: a text of 30000 characters; the limit is 20000"
    )
    assert shape_problem({"outcome": "denies", "scope": {"categories": ["content"]}}, "d") is None


def test_a_court_event_is_parsed_once_with_sentences_naming_fields() -> None:
    deep: object = {}
    for _ in range(20_000):
        deep = {"a": deep}
    with pytest.raises(InvalidInput, match=r"^event: nested more than 8 levels deep"):
        parse_court_event({"kind": "ruling", "details": deep}, now=NOW)
    with pytest.raises(InvalidInput, match=r"^at: needs a time zone offset"):
        parse_court_event({"kind": "stay", "granted": True, "at": "2026-11-30T00:00:00"}, now=NOW)
    with pytest.raises(InvalidInput, match=r"^at: 0001-01-01T00:00:00\+00:00 is implausible"):
        parse_court_event({"kind": "stay", "granted": True, "at": "0001-01-01T00:00:00Z"}, now=NOW)
    with pytest.raises(InvalidInput, match=r"^note: contains a NUL byte"):
        parse_court_event({"kind": "stay", "granted": True, "note": "a\x00b"}, now=NOW)
    ruling = parse_court_event({"kind": "ruling", "outcome": "denies"}, now=NOW)
    assert isinstance(ruling, Ruling)
    assert ruling.at == NOW


def test_validation_errors_are_sentences_naming_the_field() -> None:
    errors = [
        {"type": "json_invalid", "loc": ("body", 1), "msg": "JSON decode error",
         "ctx": {"error": "Expecting value"}},
        {"type": "missing", "loc": ("body", "reason"), "msg": "Field required"},
        {"type": "greater_than_equal", "loc": ("query", "limit"),
         "msg": "Input should be greater than or equal to 1"},
    ]  # fmt: skip
    assert validation_problems(errors) == [
        "the request body is not valid JSON: Expecting value",
        "reason: is required",
        "query parameter limit: input should be greater than or equal to 1",
    ]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"reference": "13-MAG\x002814"}, "reference: contains a NUL byte at position 6"),
        (
            {"reference": "13-MAG-\u202e4182"},
            "reference: contains the Unicode bidirectional control U+202E at position 7",
        ),
        (
            {"offence": {"description": "fraud\u2067", "committed_in": "US"}},
            "offence.description: contains the Unicode bidirectional control U+2067 at position 5",
        ),
        (
            {"received_at": "0001-01-01T00:00:00Z"},
            "received_at: expected a plausible time, 1970-01-01 to 2199-12-31, "
            "got '0001-01-01T00:00:00Z'",
        ),
        (
            {"received_at": "2013-12-04T16:00:00"},
            "received_at: expected a date and time with a time zone, e.g. 2013-12-04T16:00:00Z, "
            "got '2013-12-04T16:00:00'",
        ),
        (
            {"period": {"start": "2013-01-01", "end": "9999-12-31"}},
            "period.end: expected a plausible date, 1970-01-01 to 2199-12-31, got '9999-12-31'",
        ),
        (
            {"non_disclosure": {"until": "2014-12-04", "indefinite": True}},
            "non_disclosure: an order cannot both end on a day and be indefinite; give until or "
            "indefinite, not both",
        ),
        (
            {"non_disclosure": {"until": "2014-12-04", "forever": True}},
            "non_disclosure.forever: unknown field (expected: until, indefinite)",
        ),
        (
            {"targets": [{"type": "email", "value": f"t{i}@example.com"} for i in range(1001)]},
            "targets: expected at most 1000 selectors, got 1001 selectors",
        ),
    ],
)
def test_a_demand_with_a_bad_field_is_refused_naming_it(
    changes: dict[str, object], problem: str
) -> None:
    assert problems_of({**demand_doc("R-1"), **changes}) == [problem]


def test_an_indefinite_order_and_a_document_date_are_kept() -> None:
    doc = demand_doc("R-2", non_disclosure={"indefinite": True}, dated="2013-12-04T11:00:00-05:00")
    demand, problems = parse_demand(doc, known_countries=COUNTRIES)
    assert problems == []
    assert demand is not None
    assert demand.non_disclosure_indefinite
    assert demand.non_disclosure_until is None
    assert demand.dated == datetime(2013, 12, 4, 16, 0, tzinfo=UTC)


def test_the_rule_packs_vocabulary_refuses_unknown_instruments_and_courts() -> None:
    vocabulary = Vocabulary(frozenset({"us.warrant", "eu.epoc"}), frozenset({"nysd", "cand"}))
    ok, _ = parse_demand(demand_doc("R-3"), known_countries=COUNTRIES)
    assert ok is not None
    assert vocabulary.problems(ok) == []
    telepathy, _ = parse_demand(
        demand_doc("R-4", instrument="us.telepathy"), known_countries=COUNTRIES
    )
    assert telepathy is not None
    assert vocabulary.problems(telepathy) == [
        "instrument: the rule pack knows no instrument 'us.telepathy' (known: eu.epoc, us.warrant)"
    ]
    authority = {"country": "US", "kind": "court", "name": "Nowhere", "forum": "us.nyzz"}
    nowhere, _ = parse_demand(
        demand_doc("R-5", issuing_authority=authority), known_countries=COUNTRIES
    )
    assert nowhere is not None
    assert vocabulary.problems(nowhere)[0].startswith(
        "issuing_authority.forum: 'us.nyzz' is not a US district court the rule pack knows"
    )


def test_a_document_naming_another_agency_is_a_fraud_sign() -> None:
    dea = Authority("us-dea", "Drug Enforcement Administration", "US", "agency",
                    AuthorityStatus.VERIFIED)  # fmt: skip
    same = RequestingAgency("drug  enforcement administration", "US")
    assert agency_signs(same, dea) == []
    assert agency_signs(None, dea) == []
    other = RequestingAgency("Federal Bureau of Investigation", "US")
    [sign] = agency_signs(other, dea)
    assert sign.code == "agency_mismatch"
    assert sign.message == (
        "requesting_agency: the document names Federal Bureau of Investigation (US), but the "
        "demand comes from Drug Enforcement Administration (us-dea, US)"
    )


def test_the_due_window_is_bounded() -> None:
    assert parse_window("48h") == timedelta(hours=48)
    assert parse_window("731d") == timedelta(days=731)
    with pytest.raises(InvalidInput, match=r"^within: 99999999999d is longer than the longest"):
        parse_window("99999999999d")
    with pytest.raises(InvalidInput, match=r"^within: 105w is longer"):
        parse_window("105w")


def test_the_published_examples_are_accepted() -> None:
    for model in (DelayIn, NonDisclosureIn):
        examples = model.model_json_schema()["examples"]
        assert examples
        for example in examples:
            parse_input(model, json.loads(json.dumps(example)))


def test_a_decision_is_checked_by_one_model() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_input(
            DecisionIn,
            {
                "finding": "t@example.com|content|eu-ie",
                "decision": "narrow",
                "period": {"start": "2013-12-04", "end": "2013-01-01"},
            },
        )
    assert caught.value.problems == ["period: the start 2013-12-04 is after the end 2013-01-01"]
    with pytest.raises(InvalidInput) as caught:
        parse_input(DecisionIn, {"finding": "a\u202eb", "decision": "keep"})
    assert caught.value.problems == [
        "finding: the text contains the Unicode bidirectional control U+202E at position 1",
        "decision: input should be 'produce', 'withhold' or 'narrow'",
    ]


def test_a_listed_offence_that_is_not_a_name_is_refused_not_a_crash() -> None:
    """Schemathesis sent ``"listed": {}``; the membership test raised TypeError (a 500)."""
    offence = {"description": "fraud", "listed": {}}
    assert problems_of({**demand_doc("R-6"), "offence": offence}) == [
        "offence.listed: expected null or one of non_cash_payment_fraud, child_sexual_abuse, "
        "attack_on_information_systems, terrorism, got {}"
    ]


def test_a_typed_date_is_checked_for_shape_and_plausibility() -> None:
    assert parse_day(" 2013-12-04 ", "--as-of") == date(2013, 12, 4)
    with pytest.raises(InvalidInput, match=r"^--as-of: expected a date as YYYY-MM-DD, got '4/12'"):
        parse_day("4/12", "--as-of")
    with pytest.raises(InvalidInput, match=r"^law as of: the date 0001-01-01 is implausible"):
        parse_day("0001-01-01", "law as of")


def test_a_demand_nested_as_deep_as_json_allows_is_refused_not_a_crash() -> None:
    deep: object = "x\x00"
    for _ in range(5_000):
        deep = [deep]
    problems = problems_of({**demand_doc("R-7"), "offence": deep})
    assert problems == [
        "offence: expected an object with description, max_custodial_years, committed_in, "
        "got a list nested too deeply to show"
    ]


def test_the_provider_stamps_received_at_and_keeps_the_requesters_as_dated() -> None:
    requester = User("jdoe", "J Doe", "jdoe@dea.gov", agency_id="us-dea")
    staff = User("rev", "Rita", "rev@provider.example", frozenset({StaffRole.REVIEWER}))
    sent = {"reference": "R-8", "received_at": "0001-01-01T00:00:00Z"}
    assert stamp_received(sent, requester, NOW) == {
        "reference": "R-8",
        "received_at": NOW.isoformat(),
        "dated": "0001-01-01T00:00:00Z",
    }
    both = {**sent, "dated": "2013-12-04T00:00:00Z"}
    assert stamp_received(both, requester, NOW)["dated"] == "2013-12-04T00:00:00Z"
    assert stamp_received({"reference": "R-9"}, requester, NOW) == {
        "reference": "R-9",
        "received_at": NOW.isoformat(),
    }
    assert stamp_received(sent, staff, NOW) == sent  # by post: staff give the arrival time
    assert stamp_received({"reference": "R-9"}, staff, NOW)["received_at"] == NOW.isoformat()
    assert sent == {"reference": "R-8", "received_at": "0001-01-01T00:00:00Z"}  # not changed


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_the_published_text_patterns_say_what_the_validator_refuses(value: str) -> None:
    """The schema's patterns (what clients and Schemathesis read) and ``text_problem`` agree
    (on text without lone surrogates, which the pattern leaves to the validator)."""
    assert (re.fullmatch(inputs.LINE_PATTERN[1:-1], value) is not None) == (
        inputs.text_problem(value, single_line=True) is None
    )
    assert (re.fullmatch(inputs.TEXT_PATTERN[1:-1], value) is not None) == (
        inputs.text_problem(value) is None
    )


def test_a_date_or_time_given_as_a_number_is_refused() -> None:
    """Found by Schemathesis: ``{"as_of": 0}`` was read as 1970-01-01 and assessed."""
    with pytest.raises(InvalidInput, match=r"^start: .*not a number"):
        parse_input(DelayIn, {"start": 0})
    with pytest.raises(InvalidInput, match=r"^until: .*not a number"):
        parse_input(NonDisclosureIn, {"until": 0})
