"""Fail closed on preconditions: an order that does not show who made it, how serious the offence
is, or that reaches a provider its legal basis does not cover, is never disclosed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from comity.domain.accounts import Account, Selector
from comity.domain.assessment import DISCLOSING
from comity.domain.demand_schema import parse_demand
from comity.domain.deployment import Deployment, Entity, Provider, Region
from comity.law.countries import known_countries
from comity.law.engine import LawEngine

X = Selector("email", "x@mail.example")
US_PROVIDER = Deployment(
    Provider(
        "Example Mail Inc.",
        "US",
        ("US", "GB", "AU", "CA", "BR", "IE", "DE", "FR"),
        (Entity("IE", "Example Mail Ireland Ltd", ("eu_designated_establishment",)),),
    ),
    (Region("us-east", "US"), Region("eu-ie", "IE")),
)
ACCOUNT = Account("x-1", (X,), "us-east", residence="GB", us_person=False)
EU_ACCOUNT = Account("x-1", (X,), "eu-ie", residence="BE", us_person=False)

ORDERS = [
    # (issuer country, kind, instrument, category, day, account)
    ("GB", "court", "uk.opo", "content", date(2023, 1, 2), ACCOUNT),
    ("AU", "judge", "au.ipo", "content", date(2024, 6, 3), ACCOUNT),
    ("FR", "investigating_judge", "eu.epoc", "content", date(2026, 9, 1), EU_ACCOUNT),
    ("FR", "investigating_judge", "eu.epoc", "traffic", date(2026, 9, 1), EU_ACCOUNT),
]


@pytest.fixture(scope="module")
def engine() -> LawEngine:
    return LawEngine.load()


def assess(engine: LawEngine, day: date, account: Account, **doc: Any) -> list[dict[str, Any]]:
    base = {
        "reference": "R-1",
        "received_at": f"{day.isoformat()}T09:00:00Z",
        "targets": [{"type": "email", "value": "x@mail.example"}],
    }
    demand, problems = parse_demand({**base, **doc}, known_countries=known_countries())
    assert demand is not None, problems
    found = engine.assess(demand, US_PROVIDER, {X: account}, day).to_document()
    return list(found["findings"])


@pytest.mark.parametrize(("country", "kind", "instrument", "category", "day", "account"), ORDERS)
def test_an_order_that_states_no_sentence_is_not_disclosed(
    engine: LawEngine,
    country: str,
    kind: str,
    instrument: str,
    category: str,
    day: date,
    account: Account,
) -> None:
    doc = {
        "issuing_authority": {"country": country, "kind": kind, "name": "A court"},
        "instrument": instrument,
        "categories": [category],
    }
    (f,) = assess(engine, day, account, **doc)
    assert (f["pathway"], f["reason"]) == ("reject", "below_threshold"), f
    serious = {"description": "fraud", "max_custodial_years": 10, "committed_in": country}
    (f,) = assess(engine, day, account, offence=serious, **doc)
    assert f["pathway"] in {p.value for p in DISCLOSING}, f


@pytest.mark.parametrize(
    ("country", "instrument", "category", "day"),
    [
        ("GB", "uk.opo", "content", date(2023, 1, 2)),
        ("AU", "au.ipo", "content", date(2024, 6, 3)),
        ("CA", "ca.production_order", "subscriber", date(2019, 1, 2)),
        ("BR", "br.judicial_requisition", "content", date(2024, 1, 2)),
        ("US", "us.warrant", "content", date(2020, 1, 2)),
        ("US", "us.2703d_order", "traffic", date(2020, 1, 2)),
    ],
)
def test_an_order_the_police_made_is_not_disclosed(
    engine: LawEngine, country: str, instrument: str, category: str, day: date
) -> None:
    serious = {"description": "fraud", "max_custodial_years": 10, "committed_in": country}
    doc = {
        "instrument": instrument,
        "categories": [category],
        "offence": serious,
    }
    police = {"country": country, "kind": "police", "name": "Police"}
    (f,) = assess(engine, day, ACCOUNT, issuing_authority=police, **doc)
    assert f["pathway"] == "reject", f
    assert f["reason"] == "wrong_issuer", f
    judge = {"country": country, "kind": "judge", "name": "Judge"}
    (f,) = assess(engine, day, ACCOUNT, issuing_authority=judge, **doc)
    assert f["pathway"] != "reject", f
