"""Demand documents (contract section 4) parse, or each problem names field and value."""

from __future__ import annotations

import copy

from comity.domain.categories import Category
from comity.domain.demand_schema import parse_demand
from comity.law.countries import known_countries

WARRANT = {
    "reference": "13-MAG-2814",
    "received_at": "2013-12-04T16:00:00Z",
    "issuing_authority": {
        "country": "US",
        "kind": "court",
        "name": "U.S. District Court for the Southern District of New York",
        "forum": "us.nysd",
    },
    "requesting_agency": {
        "name": "Drug Enforcement Administration",
        "country": "US",
        "contact": {"name": "A", "email": "a@dea.example", "phone": "+12025550100"},
    },
    "instrument": "us.warrant",
    "categories": ["subscriber", "traffic", "content"],
    "targets": [{"type": "email", "value": "target@example.com"}],
    "period": {"start": "2013-01-01", "end": "2013-12-04"},
    "offence": {
        "description": "narcotics trafficking",
        "max_custodial_years": 20,
        "committed_in": "US",
    },
    "emergency": None,
    "non_disclosure": {"until": "2014-12-04"},
    "via": None,
}


def parse(doc: object):
    return parse_demand(doc, known_countries=known_countries())


def test_the_contract_example_parses() -> None:
    demand, problems = parse(WARRANT)
    assert problems == []
    assert demand is not None
    assert demand.categories == (Category.SUBSCRIBER, Category.TRAFFIC, Category.CONTENT)
    assert demand.issuing_authority.forum == "us.nysd"
    assert demand.received_at.utcoffset() is not None


def test_an_inverted_period_and_an_unknown_country_are_named() -> None:
    doc = copy.deepcopy(WARRANT)
    doc["period"] = {"start": "2014-01-01", "end": "2013-01-01"}
    doc["issuing_authority"]["country"] = "UK"
    demand, problems = parse(doc)
    assert demand is None
    assert problems == [
        "issuing_authority.country: expected an ISO 3166-1 alpha-2 country code "
        "(the United Kingdom is GB), got 'UK'",
        "period: the start 2014-01-01 is after the end 2013-01-01",
    ]


def test_each_bad_field_gets_its_own_sentence() -> None:
    doc = copy.deepcopy(WARRANT)
    doc.update(
        received_at="yesterday",
        instrument="Warrant!",
        categories=["content", "dna"],
        targets=[{"type": "email", "value": "nope"}],
        extra=1,
    )
    _, problems = parse(doc)
    assert len(problems) == 5
    assert problems[0].startswith("extra: unknown field")
    assert any(
        p.startswith("received_at: expected a date and time with a time zone") for p in problems
    )
    assert any("unknown data category 'dna'" in p for p in problems)


def test_a_non_object_is_refused_in_one_sentence() -> None:
    assert parse([1, 2]) == (None, ["the demand must be a JSON object, got list"])


def test_a_validation_and_a_listed_offence_are_read_and_checked() -> None:
    doc = copy.deepcopy(WARRANT)
    doc["issuing_authority"].update(kind="police", validated_by="investigating_judge")
    doc["offence"].update(listed="terrorism", max_custodial_years=2)
    demand, problems = parse(doc)
    assert problems == []
    assert demand is not None
    assert demand.issuing_authority.validated_by == "investigating_judge"
    assert demand.offence is not None
    assert demand.offence.listed_for_eevidence  # terrorism needs no information system

    doc["offence"].update(listed="child_sexual_abuse")
    demand, _ = parse(doc)
    assert demand is not None
    assert demand.offence is not None
    assert not demand.offence.listed_for_eevidence  # ... this one does, and it was not used


def test_an_unknown_validator_or_listed_offence_is_named() -> None:
    doc = copy.deepcopy(WARRANT)
    doc["issuing_authority"]["validated_by"] = "police"
    doc["offence"].update(listed="littering", by_information_system="yes")
    demand, problems = parse(doc)
    assert demand is None
    assert problems == [
        "issuing_authority.validated_by: expected null or one of court, judge, "
        "investigating_judge, prosecutor, got 'police'",
        "offence.listed: expected null or one of non_cash_payment_fraud, child_sexual_abuse, "
        "attack_on_information_systems, terrorism, got 'littering'",
        "offence.by_information_system: expected true or false, got 'yes'",
    ]
