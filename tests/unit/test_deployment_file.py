"""The deployment file is validated with one clear sentence per problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from comity.adapters.config.deployment_file import load_deployment, parse_deployment
from comity.errors import ConfigurationError

GOOD = {
    "provider": {"name": "Example", "established_in": "US", "offers_services_in": ["US", "IE"]},
    "regions": {
        "us-west": {"country": "US", "store": "sqlite:///regions/us-west.db"},
        "eu-ie": {"country": "IE", "store": "postgresql://db.example/eu_ie"},
    },
}


def problems_of(doc: object, require_stores: bool = True) -> list[str]:
    with pytest.raises(ConfigurationError) as info:
        parse_deployment(doc, base_dir=Path("/srv/comity"), require_stores=require_stores)
    return info.value.problems


def test_a_valid_file_resolves_relative_stores_and_default_keys_against_its_directory() -> None:
    deployment = parse_deployment(GOOD, base_dir=Path("/srv/comity"), require_stores=True)
    west = deployment.region("us-west")
    assert west.store == "sqlite:////srv/comity/regions/us-west.db"
    assert west.keyring == "file:/srv/comity/keys/us-west.key"
    assert deployment.region("eu-ie").store == "postgresql://db.example/eu_ie"
    assert deployment.control_plane == "sqlite:////srv/comity/control.db"


def test_an_unknown_country_code_is_named_with_its_key() -> None:
    doc = {**GOOD, "regions": {"uk-lon": {"country": "UK", "store": "sqlite:///x.db"}}}
    assert problems_of(doc) == [
        "deployment: regions.uk-lon.country: 'UK' is not an ISO 3166-1 alpha-2 country code "
        "(the United Kingdom is GB)"
    ]


def test_a_region_without_a_store_is_refused_in_comity_toml_but_allowed_in_scenarios() -> None:
    doc = {**GOOD, "regions": {"eu-ie": {"country": "IE"}}}
    assert "regions.eu-ie has no store" in problems_of(doc)[0]
    assert parse_deployment(doc, base_dir=None, require_stores=False).region("eu-ie").store is None


def test_a_duplicate_region_is_refused() -> None:
    doc = {
        **GOOD,
        "regions": {
            "eu-ie": {"country": "IE", "store": "sqlite:///a.db"},
            "EU-IE": {"country": "IE", "store": "sqlite:///b.db"},
        },
    }
    problems = problems_of(doc)
    assert any("duplicate region (already defined as 'eu-ie')" in p for p in problems)


def test_every_problem_is_reported_at_once() -> None:
    doc = {
        "provider": {"name": "", "established_in": "XX", "offers_services_in": ["ZZ"]},
        "regions": {"a": {"country": "US", "store": "mysql://x"}},
    }
    problems = problems_of(doc)
    assert len(problems) == 4
    assert any("provider.established_in: 'XX'" in p for p in problems)
    assert any("offers_services_in[0]: 'ZZ'" in p for p in problems)
    assert any("must start with sqlite:/// or postgresql://" in p for p in problems)


def test_a_missing_or_malformed_file_gets_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no deployment file at"):
        load_deployment(tmp_path)
    (tmp_path / "comity.toml").write_text("[provider\nname=1")
    with pytest.raises(ConfigurationError, match="is not valid TOML"):
        load_deployment(tmp_path)
