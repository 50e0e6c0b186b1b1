"""Issue 12: submitting a demand opens its case inside the same service call.

``cases.file_demand`` is intake's front door for the API, the portal and the CLI: one call
stores the demand and opens its case, assessed; a resubmission returns the same demand and case,
and without a law engine the demand is stored and waits for its case.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.case_support import WARRANT, build, law, user
from tests.conftest import FixedClock

from comity.bootstrap import Comity
from comity.domain.intake import DemandRecord
from comity.law.countries import known_countries
from comity.services.cases import actions as cases
from comity.services.intake import demands


def _file(comity: Comity, with_law: bool) -> tuple[DemandRecord, bool]:
    return cases.file_demand(
        comity.intake_uow,
        comity.clock,
        user(comity, "agent"),
        demands.Submission(json.dumps(WARRANT).encode()),
        known_countries=known_countries(),
        vocabulary=demands.vocabulary_of(comity.law_engine),
        law=law(comity) if with_law else None,
    )


def test_one_call_stores_the_demand_and_opens_its_case(tmp_path: Path) -> None:
    comity = build(tmp_path, FixedClock())
    record, created = _file(comity, with_law=True)
    assert created
    with comity.reader() as uow:
        case = uow.cases.for_demand(record.id)
        assessments = uow.intake.list_assessments(record.id)
    assert case is not None
    assert case.state.value == "assessed"
    assert len(assessments) == 1

    again, created_again = _file(comity, with_law=True)
    assert (again.id, created_again) == (record.id, False)
    with comity.reader() as uow:
        assert uow.cases.for_demand(record.id) == case
        assert len(uow.intake.list_assessments(record.id)) == 1


def test_without_a_law_engine_the_demand_waits_for_its_case(tmp_path: Path) -> None:
    comity = build(tmp_path, FixedClock())
    record, created = _file(comity, with_law=False)
    assert created
    with comity.reader() as uow:
        assert uow.cases.for_demand(record.id) is None
