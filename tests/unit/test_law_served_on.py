"""The demand's ``served_on`` (contract section 4) and the facts the engine reads from the
demand that it once ignored: ``via.treaty``, ``emergency.verified_by``, ``non_disclosure``."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from comity.domain.accounts import Account, Selector
from comity.domain.demand import Demand, served_entity
from comity.domain.demand_schema import parse_demand
from comity.domain.deployment import Deployment, Entity, Provider, Region
from comity.law.countries import known_countries
from comity.law.engine import LawEngine

X = Selector("email", "x@mail.example")
PROVIDER = Provider(
    "Example Mail Inc.",
    "US",
    ("US", "IE", "DE"),
    (
        Entity("IE", "Example Mail Ireland Ltd", ("eu_designated_establishment",)),
        Entity("DE", "Example Mail GmbH", ("subsidiary",)),
    ),
)
DEPLOYMENT = Deployment(PROVIDER, (Region("eu-ie", "IE"),))
ACCOUNT = Account("x-1", (X,), "eu-ie")
DAY = date(2026, 9, 1)


def demand(**extra: Any) -> tuple[Demand | None, list[str]]:
    doc = {
        "reference": "EPOC-DE-1",
        "received_at": "2026-09-01T08:00:00Z",
        "issuing_authority": {"country": "FR", "kind": "prosecutor", "name": "Parquet"},
        "instrument": "eu.epoc",
        "categories": ["subscriber"],
        "targets": [{"type": "email", "value": "x@mail.example"}],
        **extra,
    }
    return parse_demand(doc, known_countries=known_countries())


@pytest.fixture(scope="module")
def engine() -> LawEngine:
    return LawEngine.load()


def finding(engine: LawEngine, d: Demand) -> dict[str, Any]:
    (f,) = engine.assess(d, DEPLOYMENT, {X: ACCOUNT}, DAY).to_document()["findings"]
    return f


@pytest.mark.parametrize(
    ("value", "entity"),
    [
        (None, "Example Mail Ireland Ltd"),
        ("provider", "Example Mail Inc."),
        ("DE", "Example Mail GmbH"),
    ],
)
def test_served_on_names_the_entity(value: str | None, entity: str) -> None:
    d, problems = demand(served_on=value)
    assert d is not None, problems
    assert d.served_on == value
    assert served_entity(d, PROVIDER).name == entity


@pytest.mark.parametrize("value", ["Ireland", 7, "ie", ""])
def test_a_malformed_served_on_is_one_sentence(value: object) -> None:
    d, problems = demand(served_on=value)
    assert d is None
    assert problems == [
        'served_on: expected null, "provider" or the country key of one of the provider\'s '
        f'entities, e.g. "IE", got {value!r}'
    ]


def test_the_designated_establishment_rule_follows_served_on(engine: LawEngine) -> None:
    """The bug of issue 13: every EPOC to a US provider was redirected, even one served on its
    Irish designated establishment."""
    d, _ = demand()
    assert d is not None
    assert finding(engine, d)["pathway"] == "disclose"
    for other in ("provider", "DE"):
        d, _ = demand(served_on=other)
        assert d is not None
        f = finding(engine, d)
        assert (f["pathway"], f["reason"]) == ("redirect_entity", "wrong_addressee")
        assert f["alternatives"][0].endswith("Example Mail Ireland Ltd (IE)")


def test_served_on_an_entity_the_provider_lacks_fails_closed(engine: LawEngine) -> None:
    d, _ = demand(served_on="NL")
    assert d is not None
    f = finding(engine, d)
    assert (f["pathway"], f["reason"]) == ("reject", "needs_review")
    assert (
        "served_on 'NL' names no entity of Example Mail Inc. (entities: IE, DE"
        in (f["explanation"])
    )


def test_an_unknown_treaty_fails_closed(engine: LawEngine) -> None:
    d, _ = demand(
        instrument="ie.production_order",
        issuing_authority={"country": "IE", "kind": "court", "name": "District Court"},
        categories=["content"],
        via={"channel": "mla", "treaty": "us-ie.mlta", "requesting_country": "US"},
    )
    assert d is not None
    f = finding(engine, d)
    assert (f["pathway"], f["reason"]) == ("reject", "needs_review")
    assert "via.treaty 'us-ie.mlta' is not a treaty the rule pack knows" in f["explanation"]
