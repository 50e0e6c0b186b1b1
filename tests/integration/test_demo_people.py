"""The demo deployment comes with people whose printed tokens work, and the 2013 warrant filed."""

from __future__ import annotations

from pathlib import Path

from comity.bootstrap import initialise, open_deployment
from comity.demo.people import populate_demo_people
from comity.domain.registry import StaffRole
from comity.services.identity import authenticate
from comity.services.intake.demands import visible_demand


def test_each_printed_token_authenticates_its_person_and_the_warrant_is_filed(
    tmp_path: Path, clock
) -> None:
    initialise(tmp_path, demo=False)
    comity = open_deployment(tmp_path, clock)
    lines = populate_demo_people(comity.intake_uow, clock)
    tokens = {line.split()[0]: line.split()[-1] for line in lines if line.startswith("  ")}
    assert set(tokens) == {"ada", "rita", "alan", "audrey", "dea-agent"}
    assert authenticate(comity.intake_uow, tokens["rita"]).roles == frozenset({StaffRole.REVIEWER})
    agent = authenticate(comity.intake_uow, tokens["dea-agent"])
    assert agent.agency_id == "us-dea"
    demand_id = lines[-1].rsplit(" ", 1)[-1]
    record = visible_demand(comity.intake_uow, agent, demand_id)
    assert record.document["reference"] == "13-MAG-2814"
    assert record.disclosure_blocked_reason is None  # filed from the DEA's verified domain
