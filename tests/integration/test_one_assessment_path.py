"""Issue 12: one path assesses a stored demand, once per request, with Comity's verification.

A case opening, a re-assessment and a staff request for an assessment all go through
``assessments.assess_stored``: the engine is asked once per action, as of the right day, about
the demand as Comity recorded it, and each answer is stored with its audit entry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from tests.case_support import WARRANT, build, file_warrant, user
from tests.conftest import FixedClock

from comity.domain.assessment import Assessment
from comity.domain.demand import Demand
from comity.law.countries import known_countries
from comity.services.assessment import stored as assessments
from comity.services.cases import actions as cases
from comity.services.cases import reassess as case_reassess
from comity.services.intake import demands
from comity.services.intake.ports import Assessor


@dataclass
class Spy:
    """The real law engine, counting what it is asked."""

    inner: Assessor
    asked: list[tuple[str, date, str | None]] = field(default_factory=list)

    def assess(self, demand: Demand, as_of: date) -> Assessment:
        verified = demand.emergency.verified_by if demand.emergency else None
        self.asked.append((demand.reference, as_of, verified))
        return self.inner.assess(demand, as_of)


def test_every_way_to_assess_a_stored_demand_asks_the_engine_once(tmp_path: Path) -> None:
    comity = build(tmp_path, FixedClock())
    spy = Spy(comity.assessor)
    law = cases.LawContext(spy, comity.deployment, known_countries())
    record = file_warrant(comity)

    case = cases.ensure_case(comity.intake_uow, comity.clock, record.id, law)
    received = record.received_at.date()  # a requester's demand: intake stamps its arrival
    assert spy.asked == [("13-MAG-2814", received, None)]  # as of the day received

    later = date(2026, 11, 23)
    done = case_reassess.reassess(
        comity.intake_uow,
        comity.clock,
        user(comity, "rev"),
        case.case_id,
        law,
        reason="the rule pack changed",
        as_of=later,
    )
    assert spy.asked[1:] == [("13-MAG-2814", later, None)]

    asked = assessments.run_assessment(
        comity.intake_uow,
        comity.clock,
        user(comity, "rev"),
        record.id,
        as_of=later,
        assessor=spy,
        known_countries=known_countries(),
    )
    assert spy.asked[2:] == [("13-MAG-2814", later, None)]

    stored = assessments.list_assessments(comity.intake_uow, user(comity, "aud"), record.id)
    assert len(stored) == 3  # one per action, nothing twice
    assert {done.assessment_id, asked.id} < {a.id for a in stored}
    assert sorted(a.as_of for a in stored) == sorted(
        [received.isoformat(), *[later.isoformat()] * 2]
    )
    assert all(a.rule_pack_digest.startswith("sha256:") for a in stored)
    with comity.reader() as uow:
        entries = [json.loads(uow.audit.entry(i).entry) for i in range(uow.audit.size())]
    logged = [e for e in entries if e["action"] == "demand:assessment:created"]
    assert sorted(e["time"] for e in logged) == sorted(a.created_at.isoformat() for a in stored)


def test_the_engine_sees_the_verification_comity_recorded_not_the_claim(tmp_path: Path) -> None:
    comity = build(tmp_path, FixedClock())
    spy = Spy(comity.assessor)
    law = cases.LawContext(spy, comity.deployment, known_countries())
    claim = {"threat": "imminent harm", "verified_by": "callback"}  # the request's own claim
    doc = {**WARRANT, "reference": "EMERG-1", "emergency": claim}
    record, _ = demands.submit_demand(  # staff file it, as when it came by telephone
        comity.intake_uow,
        comity.clock,
        user(comity, "rev"),
        demands.Submission(json.dumps(doc).encode()),
        known_countries=known_countries(),
    )
    assert record.document["emergency"]["verified_by"] == "callback"
    assert assessments.stored_demand(record, known_countries()).emergency is not None
    cases.ensure_case(comity.intake_uow, comity.clock, record.id, law)
    assert spy.asked == [("EMERG-1", date(2013, 12, 4), None)]
