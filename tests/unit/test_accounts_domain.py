"""Account documents (contract section 2) parse into accounts, or name every problem."""

from __future__ import annotations

from comity.domain.accounts import parse_account
from comity.domain.categories import Category
from comity.law.countries import known_countries

REGIONS = frozenset({"us-west", "eu-ie"})


def parse(doc: object) -> tuple[object, list[str]]:
    return parse_account(doc, region_ids=REGIONS, known_countries=known_countries())


def test_placement_is_per_category_with_the_home_region_as_default() -> None:
    account, problems = parse(
        {
            "id": "msn-1",
            "selectors": [{"type": "email", "value": "Target@MSN.example"}],
            "home_region": "eu-ie",
            "placement": {"subscriber": "us-west", "traffic": "us-west"},
            "residence": "unknown",
            "us_person": "unknown",
        }
    )
    assert problems == []
    assert account is not None
    assert account.region_for(Category.CONTENT) == "eu-ie"
    assert account.region_for(Category.SUBSCRIBER) == "us-west"
    assert account.selectors[0].value == "target@msn.example"
    assert account.us_person is None


def test_each_bad_field_is_named() -> None:
    account, problems = parse(
        {
            "id": "a b",
            "selectors": [{"type": "fax", "value": "1"}],
            "home_region": "mars",
            "placement": {"content": "nowhere", "dna": "us-west"},
            "residence": "XX",
            "us_person": "maybe",
            "kind": "vip",
        }
    )
    assert account is None
    assert len(problems) == 8
    joined = "\n".join(problems)
    for fragment in (
        "account id must be",
        "unknown selector type 'fax'",
        "home_region 'mars'",
        "placement of content names unknown region 'nowhere'",
        "unknown data category 'dna'",
        "residence 'XX'",
        "us_person must be",
        "kind must be consumer or enterprise",
    ):
        assert fragment in joined
