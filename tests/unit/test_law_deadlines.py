"""One authority per deadline (issue 12): the law engine's finding deadlines are the ones
``domain.deadlines`` computes, and a case lists each deadline once."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from comity.domain import deadlines
from comity.domain.accounts import Account, Selector
from comity.domain.demand import Demand
from comity.domain.demand_schema import parse_demand
from comity.domain.deployment import Deployment, Entity, Provider, Region
from comity.domain.workflow import SYSTEM, new_case_for_demand
from comity.errors import ConfigurationError
from comity.law.countries import known_countries
from comity.law.engine import LawEngine
from comity.law.pack import DEFAULT_PACK
from comity.services.cases.findings import case_zone, finding_refs

X = Selector("email", "x@mail.example")
DEPLOYMENT = Deployment(
    Provider(
        "Example Mail Inc.",
        "US",
        ("US", "IE", "DE"),
        (Entity("IE", "Example Mail Ireland Ltd", ("eu_designated_establishment",)),),
    ),
    (Region("eu-ie", "IE"),),
)
ACCOUNT = Account("x-1", (X,), "eu-ie")


@pytest.fixture(scope="module")
def engine() -> LawEngine:
    return LawEngine.load()


def epoc(**extra: Any) -> Demand:
    doc = {
        "reference": "EPOC-DE-1",
        # 00:30 on 2 September in Dublin (summer time): the day of receipt does not count, so
        # the 10 days end at local midnight after 12 September, not 240 hours after receipt
        # (2026-09-11T23:30Z, what the engine once said beside the case's own count).
        "received_at": "2026-09-01T23:30:00Z",
        "issuing_authority": {"country": "DE", "kind": "court", "name": "Amtsgericht Berlin"},
        "instrument": "eu.epoc",
        "categories": ["subscriber"],
        "targets": [{"type": "email", "value": "x@mail.example"}],
        **extra,
    }
    demand, problems = parse_demand(doc, known_countries=known_countries())
    assert demand is not None, problems
    return demand


@pytest.mark.parametrize(
    ("extra", "emergency"), [({}, False), ({"emergency": {"threat": "t"}}, True)]
)
def test_the_engine_counts_the_epoc_deadline_with_the_domain(
    engine: LawEngine, extra: dict[str, Any], emergency: bool
) -> None:
    demand = epoc(**extra)
    doc = engine.assess(demand, DEPLOYMENT, {X: ACCOUNT}, demand.received_at.date()).to_document()
    (finding,) = doc["findings"]
    assert finding["pathway"] == "disclose"
    expected = deadlines.epoc_production(
        demand.received_at, emergency=emergency, zone_name="Europe/Dublin", subject="c"
    ).due_at
    assert datetime.fromisoformat(finding["deadline"]) == expected
    if not emergency:
        assert finding["deadline"] == "2026-09-12T23:00:00Z"


def test_a_case_lists_the_epoc_deadline_once(engine: LawEngine) -> None:
    demand = epoc()
    assessment = engine.assess(demand, DEPLOYMENT, {X: ACCOUNT}, demand.received_at.date())
    zone = case_zone(demand, DEPLOYMENT)
    assert zone == "Europe/Dublin"
    case, _ = new_case_for_demand(demand, case_id="c-1", zone=zone, now=demand.received_at)
    case, _ = case.assess(
        finding_refs(assessment.to_document()), SYSTEM, datetime(2026, 9, 2, tzinfo=UTC)
    )
    # User notice is a separate obligation owed by the same moment (before disclosure).
    due = [d.due_at for d in case.deadlines() if d.kind != "user_notice"]
    assert len(due) == len(set(due)), case.deadlines()
    kinds = [d.kind for d in case.deadlines()]
    assert kinds.count("epoc_production") == 1
    assert "finding" not in kinds
    notice = next(d for d in case.deadlines() if d.kind == "user_notice")
    assert notice.due_at == next(d.due_at for d in case.deadlines() if d.kind != "user_notice")


def test_the_zone_follows_the_entity_served(engine: LawEngine) -> None:
    """An EPOC served on the provider itself is counted where the provider is established."""
    assert case_zone(epoc(served_on="provider"), DEPLOYMENT) == "America/New_York"
    assert case_zone(epoc(served_on="IE"), DEPLOYMENT) == "Europe/Dublin"


def test_a_pack_deadline_that_disagrees_with_the_domain_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    shutil.copytree(DEFAULT_PACK, pack)
    path = pack / "common" / "deadlines.yaml"
    path.write_text(path.read_text().replace("eu_epoc: {period: P10D", "eu_epoc: {period: P12D"))
    with pytest.raises(ConfigurationError, match=r"deadlines.eu_epoc: states P12D"):
        LawEngine.load(pack)
    path.write_text(path.read_text().replace("eu_epoc: {period: P12D", "eu_epoc: {period: P10D"))
    path.write_text(path.read_text() + "  made_up: {period: P3D}\n")
    with pytest.raises(ConfigurationError, match=r"deadlines.made_up: not a deadline Comity"):
        LawEngine.load(pack)


def test_every_pack_deadline_is_computed_by_the_domain(engine: LawEngine) -> None:
    at = datetime(2026, 9, 1, 12, tzinfo=UTC)
    for name in engine.pack.facts.deadlines:
        d = deadlines.rule_deadline(
            name, at, emergency=False, zone_name="Europe/Dublin", subject="s"
        )
        assert d.due_at > at
        assert d.citation
