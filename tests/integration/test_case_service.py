"""The case service on SQLite and PostgreSQL: opening, every transition, every refusal, four eyes,
withdrawal, visibility, and nothing lost when an action is refused."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.case_support import (
    CONTENT,
    SUBSCRIBER,
    T0,
    TRAFFIC,
    WARRANT,
    build,
    file_warrant,
    law,
    user,
)
from tests.conftest import FixedClock

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.bootstrap import Comity
from comity.domain.registry import StaffRole, User
from comity.domain.workflow import CaseState, Period
from comity.errors import Conflict, Forbidden, IllegalTransition, InvalidInput, NotFound
from comity.law.countries import known_countries
from comity.services import identity
from comity.services.cases import actions as cases
from comity.services.cases import holds as case_holds
from comity.services.cases.reassess import reassess
from comity.services.intake.demands import Submission, submit_demand

JUSTIFY = "stored only in Dublin; a warrant does not reach it (extraterritorial search)"


@pytest.fixture(params=["sqlite", "postgresql"])
def comity(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Comity]:
    clock = FixedClock(T0)
    control = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    c = build(tmp_path, clock, control)
    yield c
    c.engine.dispose()


def _open(c: Comity) -> str:
    record = file_warrant(c)
    return cases.ensure_case(c.intake_uow, c.clock, record.id, law(c)).case_id


def _actions(c: Comity, case_id: str) -> list[str]:
    with c.intake_uow() as uow:
        rows = uow.session.scalars(
            select(AuditEntryRow.action)
            .where(AuditEntryRow.subject == f"case/{case_id}")
            .order_by(AuditEntryRow.idx)
        )
        return list(rows)


def _version(c: Comity, case_id: str) -> Any:
    with c.intake_uow() as uow:
        case = uow.cases.get(case_id)
    assert case is not None
    return case.model_dump(mode="json")


def _review(c: Comity, case_id: str, *, withhold_content: bool = True) -> None:
    u, clock = c.intake_uow, c.clock
    cases.start_review(u, clock, user(c, "rev"), case_id)
    cases.decide(u, clock, user(c, "rev"), case_id, finding=SUBSCRIBER, decision="produce")
    cases.decide(u, clock, user(c, "rev"), case_id, finding=TRAFFIC, decision="produce")
    if withhold_content:
        cases.decide(
            u,
            clock,
            user(c, "rev"),
            case_id,
            finding=CONTENT,
            decision="withhold",
            justification=JUSTIFY,
        )
    else:
        cases.decide(u, clock, user(c, "rev"), case_id, finding=CONTENT, decision="produce")
    cases.recommend(u, clock, user(c, "rev"), case_id, "produce the US records")


def test_a_case_opens_for_a_submitted_demand_with_the_engines_findings(comity: Comity) -> None:
    record = file_warrant(comity)
    case = cases.ensure_case(comity.intake_uow, comity.clock, record.id, law(comity))
    assert case.state is CaseState.ASSESSED
    assert case.zone == "America/New_York"
    assert {f.key for f in case.findings} == {SUBSCRIBER, TRAFFIC, CONTENT}
    assert {f.data_country for f in case.findings} == {"US", "IE"}
    assert case.notice.non_disclosure_until is not None
    # Once per demand: the hook again returns the same case; an explicit open is a conflict.
    again = cases.ensure_case(comity.intake_uow, comity.clock, record.id, law(comity))
    assert again.case_id == case.case_id
    with pytest.raises(Conflict, match="already has case"):
        cases.open_case(
            comity.intake_uow, comity.clock, user(comity, "rev"), record.id, law(comity)
        )
    assert _actions(comity, case.case_id) == ["case:opened", "case:assess"]
    with comity.intake_uow() as uow:
        stored = uow.intake.list_assessments(record.id)
    assert len(stored) == 1
    # The law is assessed as of when the provider received the demand (the server's clock,
    # contract section 4), not the date the requester typed (kept as ``dated``).
    assert stored[0].as_of == T0.date().isoformat() == "2013-12-05"
    assert record.document["dated"] == WARRANT["received_at"]


def test_staff_open_a_case_explicitly_and_requesters_cannot(comity: Comity) -> None:
    record = file_warrant(comity)
    with pytest.raises(Forbidden):
        cases.open_case(
            comity.intake_uow, comity.clock, user(comity, "agent"), record.id, law(comity)
        )
    with pytest.raises(NotFound):
        cases.open_case(comity.intake_uow, comity.clock, user(comity, "rev"), "dem-x", law(comity))
    case = cases.open_case(
        comity.intake_uow, comity.clock, user(comity, "rev"), record.id, law(comity)
    )
    assert case.state is CaseState.ASSESSED


def test_the_whole_path_to_closed_with_four_eyes_and_every_step_on_the_log(
    comity: Comity,
) -> None:
    case_id = _open(comity)
    u, clock = comity.intake_uow, comity.clock
    _review(comity, case_id)
    with pytest.raises(Forbidden, match="needs the role approver"):
        cases.approve(u, clock, user(comity, "rev"), case_id)
    case = cases.approve(u, clock, user(comity, "appr"), case_id)
    assert case.state is CaseState.PARTLY_APPROVED
    assert case.approved_by == "appr"
    case = cases.start_production(u, clock, user(comity, "appr"), case_id)
    assert case.state is CaseState.IN_PRODUCTION
    case = cases.deliver(u, clock, user(comity, "admin"), case_id, package={"id": "pkg-1"})
    assert case.state is CaseState.DELIVERED
    assert set(case.produced) == {SUBSCRIBER, TRAFFIC}
    case = case_holds.close(
        u, clock, comity.region_holds, user(comity, "admin"), case_id, reason="US records produced"
    )
    assert case.state is CaseState.CLOSED
    assert _actions(comity, case_id) == [
        "case:opened",
        "case:assess",
        "case:start_review",
        "case:finding:decided",
        "case:finding:decided",
        "case:finding:decided",
        "case:recommend",
        "case:approve",
        "case:start_production",
        "case:deliver",
        "case:close",
    ]
    with comity.intake_uow() as uow:
        entry = uow.session.scalars(
            select(AuditEntryRow.entry).where(AuditEntryRow.action == "case:deliver")
        ).one()
    assert "pkg-1" in entry or json.loads(entry)


def test_one_person_cannot_both_recommend_and_approve(comity: Comity) -> None:
    identity.create_user(
        comity.intake_uow,
        comity.clock,
        User(
            "both",
            "Both",
            "both@provider.example",
            frozenset({StaffRole.REVIEWER, StaffRole.APPROVER}),
        ),
        actor="test",
    )
    case_id = _open(comity)
    u, clock = comity.intake_uow, comity.clock
    cases.start_review(u, clock, user(comity, "both"), case_id)
    for key in (SUBSCRIBER, TRAFFIC, CONTENT):
        cases.decide(u, clock, user(comity, "both"), case_id, finding=key, decision="produce")
    cases.recommend(u, clock, user(comity, "both"), case_id)
    before = _version(comity, case_id)
    with pytest.raises(Forbidden, match="four eyes"):
        cases.approve(u, clock, user(comity, "both"), case_id)
    assert _version(comity, case_id) == before
    case = cases.approve(u, clock, user(comity, "appr"), case_id)
    assert case.state is CaseState.APPROVED
    _refuses_everything_else(comity, case_id)  # approved


def test_decisions_are_checked_and_narrowing_names_a_period_inside_the_demands(
    comity: Comity,
) -> None:
    case_id = _open(comity)
    u, clock, rev = comity.intake_uow, comity.clock, user(comity, "rev")
    cases.start_review(u, clock, rev, case_id)
    with pytest.raises(InvalidInput, match="justification"):
        cases.decide(u, clock, rev, case_id, finding=CONTENT, decision="withhold")
    with pytest.raises(InvalidInput, match="decision: expected"):
        cases.decide(u, clock, rev, case_id, finding=CONTENT, decision="maybe")
    with pytest.raises(InvalidInput, match="no finding"):
        cases.decide(u, clock, rev, case_id, finding="x|content|eu-ie", decision="produce")
    with pytest.raises(InvalidInput, match="not inside"):
        cases.decide(
            u,
            clock,
            rev,
            case_id,
            finding=TRAFFIC,
            decision="narrow",
            period=Period(start=date(2012, 1, 1), end=date(2013, 2, 1)),
        )
    case = cases.decide(
        u,
        clock,
        rev,
        case_id,
        finding=TRAFFIC,
        decision="narrow",
        period=Period(start=date(2013, 6, 1), end=date(2013, 9, 30)),
    )
    assert case.statuses()[TRAFFIC] == "narrowed"
    with pytest.raises(InvalidInput, match="no decision yet"):
        cases.recommend(u, clock, rev, case_id)


def test_reject_redirect_object_resume_need_reasons_and_lead_where_the_table_says(
    comity: Comity,
) -> None:
    u, clock, rev = comity.intake_uow, comity.clock, user(comity, "rev")
    first = _open(comity)
    cases.start_review(u, clock, rev, first)
    with pytest.raises(InvalidInput, match="needs a written reason"):
        cases.reject(u, clock, rev, first, "  ")
    assert cases.reject(u, clock, rev, first, "not our customer").state is CaseState.REJECTED
    _refuses_everything_else(comity, first)  # rejected
    assert (
        case_holds.close(
            u, clock, comity.region_holds, user(comity, "admin"), first, reason="rejected"
        ).state
        is CaseState.CLOSED
    )

    second = cases.ensure_case(
        u, clock, file_warrant(comity, reference="13-MAG-2815").id, law(comity)
    ).case_id
    cases.start_review(u, clock, rev, second)
    case = cases.object_to(u, clock, rev, second, "Art. 17 review: conflicting obligations")
    assert case.state is CaseState.OBJECTED
    case = cases.resume(u, clock, user(comity, "appr"), second, "objection withdrawn")
    assert case.state is CaseState.IN_REVIEW
    case = cases.redirect(u, clock, rev, second, "ask Ireland through the MLAT")
    assert case.state is CaseState.REDIRECTED
    _refuses_everything_else(comity, second)  # redirected
    assert [h.action for h in case.history][-3:] == ["object", "resume", "redirect"]


def _call(c: Comity, action: str, case_id: str) -> Callable[[], Any]:
    u, clock = c.intake_uow, c.clock
    admin, rev, appr = user(c, "admin"), user(c, "rev"), user(c, "appr")
    return {
        "start_review": lambda: cases.start_review(u, clock, rev, case_id),
        "decide": lambda: cases.decide(
            u, clock, rev, case_id, finding=SUBSCRIBER, decision="produce"
        ),
        "recommend": lambda: cases.recommend(u, clock, rev, case_id),
        "approve": lambda: cases.approve(u, clock, appr, case_id),
        "reject": lambda: cases.reject(u, clock, rev, case_id, "why"),
        "redirect": lambda: cases.redirect(u, clock, rev, case_id, "why"),
        "object": lambda: cases.object_to(u, clock, admin, case_id, "why"),
        "resume": lambda: cases.resume(u, clock, rev, case_id, "why"),
        "start_production": lambda: cases.start_production(u, clock, appr, case_id),
        "deliver": lambda: cases.deliver(u, clock, admin, case_id),
        "close": lambda: case_holds.close(u, clock, c.region_holds, admin, case_id, reason="why"),
        "withdraw": lambda: cases.withdraw(u, clock, user(c, "agent"), case_id),
    }[action]


def _refuses_everything_else(c: Comity, case_id: str) -> None:
    with c.intake_uow() as uow:
        case = uow.cases.get(case_id)
    assert case is not None
    allowed = set(case.allowed_actions())
    before = _version(c, case_id)
    for action in [
        "start_review",
        "decide",
        "recommend",
        "approve",
        "reject",
        "redirect",
        "object",
        "resume",
        "start_production",
        "deliver",
        "close",
        "withdraw",
    ]:
        if action in allowed:
            continue
        with pytest.raises(IllegalTransition) as err:
            _call(c, action, case_id)()
        assert err.value.allowed == case.allowed_actions()
        assert "allowed actions" in err.value.message
        assert _version(c, case_id) == before, action


def test_every_state_refuses_every_action_its_table_row_does_not_allow(comity: Comity) -> None:
    u, clock = comity.intake_uow, comity.clock
    case_id = _open(comity)
    _refuses_everything_else(comity, case_id)  # assessed
    cases.start_review(u, clock, user(comity, "rev"), case_id)
    _refuses_everything_else(comity, case_id)  # in_review
    for key in (SUBSCRIBER, TRAFFIC):
        cases.decide(u, clock, user(comity, "rev"), case_id, finding=key, decision="produce")
    cases.decide(
        u,
        clock,
        user(comity, "rev"),
        case_id,
        finding=CONTENT,
        decision="withhold",
        justification=JUSTIFY,
    )
    cases.recommend(u, clock, user(comity, "rev"), case_id)
    cases.approve(u, clock, user(comity, "appr"), case_id)
    _refuses_everything_else(comity, case_id)  # partly_approved
    cases.start_production(u, clock, user(comity, "appr"), case_id)
    _refuses_everything_else(comity, case_id)  # in_production
    cases.deliver(u, clock, user(comity, "admin"), case_id)
    _refuses_everything_else(comity, case_id)  # delivered
    cases.object_to(u, clock, user(comity, "admin"), case_id, "the content: motion to quash")
    _refuses_everything_else(comity, case_id)  # objected
    case_holds.close(
        u,
        clock,
        comity.region_holds,
        user(comity, "admin"),
        case_id,
        reason="quashed as to the content",
    )
    _refuses_everything_else(comity, case_id)  # closed


def test_the_requester_withdraws_the_demand_and_its_case_together(comity: Comity) -> None:
    case_id = _open(comity)
    u, clock = comity.intake_uow, comity.clock
    with pytest.raises(Forbidden):
        cases.withdraw(u, clock, user(comity, "rev"), case_id)
    with pytest.raises(NotFound):
        cases.withdraw(u, clock, user(comity, "pierre"), case_id)
    case = cases.withdraw(u, clock, user(comity, "agent"), case_id, reason="no longer needed")
    assert case.state is CaseState.WITHDRAWN
    view = cases.get_case(u, clock, user(comity, "agent"), case_id)
    assert view.case.state is CaseState.WITHDRAWN
    with comity.intake_uow() as uow:
        demand_id = uow.cases.demand_of(case_id)
        assert demand_id is not None
        record = uow.intake.get_demand(demand_id)
    assert record is not None
    assert record.status == "withdrawn"
    _refuses_everything_else(comity, case_id)


def test_requesters_see_only_their_agencys_cases_and_no_internal_notes(comity: Comity) -> None:
    case_id = _open(comity)
    u, clock = comity.intake_uow, comity.clock
    _review(comity, case_id)
    with pytest.raises(NotFound):
        cases.get_case(u, clock, user(comity, "pierre"), case_id)
    assert cases.list_cases(u, clock, user(comity, "pierre")) == []
    mine = cases.list_cases(u, clock, user(comity, "agent"))
    assert [i.case.case_id for i in mine] == [case_id]
    shown = json.dumps(
        cases.get_case(u, clock, user(comity, "agent"), case_id).to_document(internal=False)
    )
    assert JUSTIFY not in shown
    assert "rev" not in json.loads(shown).get("history", [{}])[0]
    assert "produce the US records" not in shown
    with pytest.raises(Forbidden):
        cases.approve(u, clock, user(comity, "agent"), case_id)
    with pytest.raises(Forbidden):
        cases.approve(u, clock, user(comity, "aud"), case_id)
    staff = cases.list_cases(u, clock, user(comity, "aud"), open_only=True)
    # Not yet approved, the case owes no notice yet (it is owed before disclosure): its line's
    # next deadline is the soonest the case itself derives, if any.
    derived = sorted(staff[0].case.deadlines(), key=lambda d: d.due_at)
    assert staff[0].next_deadline == (derived[0] if derived else None)
    with pytest.raises(InvalidInput, match="unknown state"):
        cases.list_cases(u, clock, user(comity, "aud"), states=["pending"])


def test_production_is_refused_while_intake_blocks_disclosure(comity: Comity) -> None:
    record, _ = submit_demand(
        comity.intake_uow,
        comity.clock,
        user(comity, "admin"),
        Submission(json.dumps({**WARRANT, "reference": "paper-1"}).encode()),
        known_countries=known_countries(),
    )
    assert record.disclosure_blocked_reason
    case_id = cases.ensure_case(comity.intake_uow, comity.clock, record.id, law(comity)).case_id
    _review(comity, case_id, withhold_content=False)
    cases.approve(comity.intake_uow, comity.clock, user(comity, "appr"), case_id)
    before = _version(comity, case_id)
    with pytest.raises(Conflict, match="unverified requester"):
        cases.start_production(comity.intake_uow, comity.clock, user(comity, "appr"), case_id)
    assert _version(comity, case_id) == before


def test_reassessing_as_of_the_second_circuit_says_what_changed_and_why(comity: Comity) -> None:
    case_id = _open(comity)
    u, clock, rev = comity.intake_uow, comity.clock, user(comity, "rev")
    cases.start_review(u, clock, rev, case_id)
    cases.decide(u, clock, rev, case_id, finding=SUBSCRIBER, decision="produce")
    cases.decide(u, clock, rev, case_id, finding=CONTENT, decision="produce")
    with pytest.raises(InvalidInput, match="say why"):
        reassess(u, clock, rev, case_id, law(comity), reason=" ", as_of=date(2016, 7, 14))
    with pytest.raises(Forbidden):
        reassess(u, clock, user(comity, "aud"), case_id, law(comity), reason="x")
    done = reassess(
        u, clock, rev, case_id, law(comity), reason="829 F.3d 197", as_of=date(2016, 7, 14)
    )
    case = done.case
    assert case.state is CaseState.ASSESSED
    assert {f.key: f.pathway.value for f in case.findings}[CONTENT] == "redirect_mlat"
    assert "as of 2016-07-14 under rule pack" in done.basis
    moved = {d["finding"]: d for d in done.diff}
    assert moved[CONTENT]["old"]["pathway"] == "disclose"
    assert moved[CONTENT]["new"]["pathway"] == "redirect_mlat"
    assert "route" in moved[CONTENT]["changed"]
    assert set(case.decisions) == {SUBSCRIBER}  # the content's pathway moved: decide again
    change = case.reassessments[-1].changes[0]
    assert change["finding"] == CONTENT
    assert change["after"] == "redirect_mlat"
    assert _actions(comity, case_id)[-1] == "case:reassess"
    with comity.intake_uow() as uow:
        assert len(uow.intake.list_assessments(uow.cases.demand_of(case_id) or "")) == 2
    # A closed case is not re-assessed: the table names what it allows.
    cases.start_review(u, clock, rev, case_id)
    cases.reject(u, clock, rev, case_id, "MLAT")
    with pytest.raises(IllegalTransition, match="cannot reassess"):
        reassess(u, clock, rev, case_id, law(comity), reason="again")


def test_two_approvers_at_once_one_approves_the_other_is_told_why(comity: Comity) -> None:
    case_id = _open(comity)
    _review(comity, case_id)
    barrier = threading.Barrier(2)

    def approve(who: str) -> str:
        barrier.wait()
        try:
            cases.approve(comity.intake_uow, comity.clock, user(comity, who), case_id)
        except IllegalTransition as exc:
            return exc.message
        return "approved"

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(approve, ["appr", "appr2"]))
    assert outcomes.count("approved") == 1
    refused = next(o for o in outcomes if o != "approved")
    assert "a case in state partly_approved cannot approve" in refused
    assert _actions(comity, case_id).count("case:approve") == 1
