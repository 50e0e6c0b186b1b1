"""The law engine: pack loading, the Microsoft Ireland outcomes, fail-closed behaviour."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from comity.domain.accounts import Account, Selector
from comity.domain.assessment import DISCLOSING, Pathway
from comity.domain.categories import Category
from comity.domain.demand import Demand, IssuingAuthority, Target
from comity.domain.deployment import Deployment, Provider, Region
from comity.errors import ConfigurationError
from comity.law.engine import LawEngine, parse_duration
from comity.law.pack import DEFAULT_PACK, load_pack, pack_digest

MSN = Selector("email", "target@msn.example")
DEPLOYMENT = Deployment(
    Provider("Microsoft Corp.", "US", ("US", "IE")),
    (Region("us-west", "US"), Region("eu-ie", "IE")),
)
ACCOUNT = Account(
    "msn-1",
    (MSN,),
    "eu-ie",
    {Category.SUBSCRIBER: "us-west", Category.TRAFFIC: "us-west"},
)


def warrant(forum: str = "us.nysd", instrument: str = "us.warrant", country: str = "US") -> Demand:
    return Demand(
        reference="13-MAG-2814",
        received_at=datetime(2013, 12, 4, 16, tzinfo=UTC),
        issuing_authority=IssuingAuthority(country, "court", "S.D.N.Y.", forum),
        instrument=instrument,
        categories=(Category.SUBSCRIBER, Category.TRAFFIC, Category.CONTENT),
        targets=(Target(MSN), Target(Selector("email", "ghost@msn.example"))),
    )


@pytest.fixture(scope="module")
def engine() -> LawEngine:
    return LawEngine.load()


#: The accounts the engine is given: the warrant's second target matches none.
ACCOUNTS = {MSN: ACCOUNT}


def by_category(engine: LawEngine, demand: Demand, day: date) -> dict[str, dict]:
    doc = engine.assess(demand, DEPLOYMENT, ACCOUNTS, day).to_document()
    return {
        f["category"]: f for f in doc["findings"] if f["target"]["value"] == "target@msn.example"
    }


def test_the_shipped_pack_validates_and_every_rule_is_cited(engine: LawEngine) -> None:
    assert engine.pack.version
    assert engine.pack.digest == pack_digest(DEFAULT_PACK)
    assert len(engine.pack.rules) >= 40
    assert all(r.citation for r in engine.pack.rules.values())


def test_assessment_document_has_exactly_the_contract_fields(engine: LawEngine) -> None:
    doc = engine.assess(warrant(), DEPLOYMENT, ACCOUNTS, date(2016, 7, 14)).to_document()
    assert set(doc) == {"demand", "as_of", "rule_pack", "findings"}
    assert doc["rule_pack"]["digest"].startswith("sha256:")
    assert set(doc["findings"][0]) == {
        "target", "account", "category", "region", "data_country", "pathway", "reason",
        "explanation", "rules", "citations", "deadline", "route", "conflicts", "challenges",
        "alternatives",
    }  # fmt: skip
    # one finding per (target, category, region); an unmatched target gives no_data findings
    assert len(doc["findings"]) == 6
    ghosts = [f for f in doc["findings"] if f["target"]["value"] == "ghost@msn.example"]
    assert {(f["pathway"], f["account"], f["region"]) for f in ghosts} == {("no_data", None, None)}


def test_microsoft_ireland_content_follows_the_courts(engine: LawEngine) -> None:
    before = by_category(engine, warrant(), date(2016, 7, 13))["content"]
    assert before["pathway"] == "disclose"
    ca2 = by_category(engine, warrant(), date(2016, 7, 14))
    assert ca2["content"]["pathway"] == "redirect_mlat"
    assert ca2["content"]["reason"] == "outside_reach"
    assert ca2["content"]["route"] == {
        "treaty": "us-ie.mlat",
        "central_authority": "IE: Minister for Justice",
    }
    assert ca2["content"]["alternatives"][0] == "ie.production_order via mla (us-ie.mlat)"
    assert ca2["subscriber"]["pathway"] == "disclose"
    # the same day, a warrant from the Third Circuit still reaches Dublin
    assert by_category(engine, warrant("us.paed"), date(2016, 7, 14))["content"]["pathway"] == (
        "disclose"
    )
    cloud = by_category(engine, warrant(), date(2018, 3, 23))["content"]
    assert cloud["pathway"] == "disclose"
    assert "us.cloud.2713" in cloud["rules"]
    assert cloud["conflicts"] == []
    assert any("comity" in c for c in cloud["challenges"])
    gdpr = by_category(engine, warrant(), date(2018, 5, 25))["content"]
    assert any("GDPR Art. 48" in c for c in gdpr["conflicts"])


def test_identical_decision_inputs_are_evaluated_once(engine: LawEngine) -> None:
    engine._memo.clear()
    engine.assess(warrant(), DEPLOYMENT, ACCOUNTS, date(2017, 1, 1))
    size = len(engine._memo)
    engine.assess(warrant(), DEPLOYMENT, ACCOUNTS, date(2017, 1, 1))
    assert len(engine._memo) == size == 3


@pytest.mark.parametrize(
    ("demand", "why"),
    [
        (warrant(instrument="us.telepathy"), "unknown instrument"),
        (warrant(forum="us.nyzz"), "unknown US district"),
        (warrant(country="ZA", instrument="xx.domestic_order", forum="za.jhb"), "issuing country"),
    ],
)
def test_unknown_inputs_fail_closed(engine: LawEngine, demand: Demand, why: str) -> None:
    for f in engine.assess(demand, DEPLOYMENT, ACCOUNTS, date(2020, 1, 1)).findings:
        if f.account is None:
            continue
        assert f.pathway == Pathway.REJECT
        assert f.reason == "needs_review"
        assert why in f.explanation


def test_unknown_data_country_fails_closed(engine: LawEngine) -> None:
    deployment = Deployment(DEPLOYMENT.provider, (Region("us-west", "US"), Region("eu-ie", "ZA")))
    content = next(
        f
        for f in engine.assess(warrant(), deployment, ACCOUNTS, date(2020, 1, 1)).findings
        if f.category == Category.CONTENT and f.account
    )
    assert (content.pathway, content.reason) == (Pathway.REJECT, "needs_review")
    assert "ZA" in content.explanation


def _copy_pack(tmp_path: Path) -> Path:
    pack = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK, pack)
    return pack


def test_an_erroring_policy_fails_closed_never_disclosing(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path)
    # Valid against the schema, but overflows when evaluated: Cedar skips an erroring policy,
    # which for a forbid or a reject rule would silently allow; the engine must refuse instead.
    (pack / "us" / "broken.cedar").write_text(
        '@id("test.overflow")\n@effect("pathway")\n@pathway("reject")\n@reason("x")\n'
        '@explanation("x")\n@citation("test")\n@in_force("always")\n'
        'permit (principal, action == Action::"assess", resource)\n'
        "when { context.as_of * 9223372036854775807 > 0 };\n"
    )
    broken = LawEngine.load(pack)
    findings = [
        f
        for f in broken.assess(warrant(), DEPLOYMENT, ACCOUNTS, date(2013, 12, 4)).findings
        if f.account
    ]
    assert findings
    for f in findings:
        assert f.pathway == Pathway.REJECT
        assert f.pathway not in DISCLOSING
        assert f.reason == "needs_review"
        assert "test.overflow" in f.explanation
        assert "overflow" in f.explanation


def test_a_policy_that_does_not_fit_the_schema_is_refused_at_load(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path)
    (pack / "us" / "typo.cedar").write_text(
        '@id("test.typo")\n@effect("pathway")\n@pathway("disclose")\n@reason("x")\n'
        '@explanation("x")\n@citation("test")\n@in_force("2000-01-01")\n'
        'permit (principal, action == Action::"assess", resource)\n'
        'when { context.instrumnet == "us.warrant" };\n'
    )
    with pytest.raises(ConfigurationError) as err:
        load_pack(pack)
    assert "typo.cedar" in err.value.message


def test_a_syntax_error_and_a_rule_without_citation_are_refused(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path)
    (pack / "us" / "bad.cedar").write_text("permit (principal, action, resource) when { ( };\n")
    with pytest.raises(ConfigurationError, match=r"bad\.cedar"):
        load_pack(pack)
    (pack / "us" / "bad.cedar").write_text(
        '@id("test.uncited")\n@effect("pathway")\n@pathway("disclose")\n@reason("x")\n'
        '@explanation("x")\n@in_force("2000-01-01")\n'
        'permit (principal, action == Action::"assess", resource) when { false };\n'
    )
    with pytest.raises(ConfigurationError, match="citation"):
        load_pack(pack)


def test_no_rule_deciding_means_needs_review(engine: LawEngine) -> None:
    # A US warrant before the Stored Communications Act existed: nothing decides.
    f = by_category(engine, warrant(), date(1985, 1, 1))["content"]
    assert (f["pathway"], f["reason"]) == ("reject", "needs_review")


def test_deadlines_count_from_receipt() -> None:
    assert parse_duration("P90D").days == 90
    assert parse_duration("PT8H").seconds == 8 * 3600
    with pytest.raises(ValueError, match="unsupported"):
        parse_duration("P1M")


def test_facts_know_all_94_districts_and_the_uk_left_the_eu(engine: LawEngine) -> None:
    facts = engine.pack.facts
    assert len(facts.districts) == 94
    assert facts.districts["nysd"] == "2"
    assert facts.districts["paed"] == "3"
    assert facts.in_eu("GB", date(2020, 1, 31))
    assert not facts.in_eu("GB", date(2020, 2, 1))
    assert facts.in_eu("DK", date(2026, 9, 1))
    assert not facts.bound_by_eevidence("DK", date(2026, 9, 1))
    assert not facts.bound_by_eevidence("DE", date(2026, 8, 17))
    assert facts.bound_by_eevidence("DE", date(2026, 8, 18))
    assert facts.mla_treaty("US", "IE", date(2009, 8, 11)).id == "us-ie.mlat"  # type: ignore[union-attr]
    assert facts.mla_treaty("US", "IE", date(2009, 8, 10)) is None
    assert facts.executive_agreement("GB", "US", date(2022, 10, 3)) is not None
    assert facts.executive_agreement("GB", "US", date(2022, 10, 2)) is None


def test_a_malformed_qfg_setting_fails_closed(engine: LawEngine) -> None:
    deployment = Deployment(
        DEPLOYMENT.provider,
        DEPLOYMENT.regions,
        extra={"law": {"qualifying_foreign_governments": "GB"}},
    )
    for f in engine.assess(warrant(), deployment, ACCOUNTS, date(2020, 1, 1)).findings:
        if f.account:
            assert (f.pathway, f.reason) == (Pathway.REJECT, "needs_review")
            assert "qualifying_foreign_governments" in f.explanation


def test_a_rule_whose_date_is_not_in_its_condition_is_refused(tmp_path: Path) -> None:
    pack = _copy_pack(tmp_path)
    (pack / "us" / "undated.cedar").write_text(
        '@id("test.undated")\n@effect("pathway")\n@pathway("disclose")\n@reason("x")\n'
        '@explanation("x")\n@citation("test")\n@in_force("2020-01-01")\n'
        'permit (principal, action == Action::"assess", resource)\n'
        'when { context.instrument == "us.warrant" };\n'
    )
    with pytest.raises(ConfigurationError, match=r"never compares context\.as_of with 20200101"):
        load_pack(pack)
