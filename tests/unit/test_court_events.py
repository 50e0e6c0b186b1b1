"""Court events change the case as they do in practice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.unit.case_helpers import (
    ADMIN,
    APPROVER,
    CONTENT,
    REQUESTER,
    REVIEWER,
    SUBSCRIBER,
    SYSTEM,
    T0,
    reach,
    tick,
)

from comity.domain.categories import Category
from comity.domain.court_events import (
    Appeal,
    Contempt,
    JudgmentVacated,
    LawChange,
    Motion,
    Proceeding,
    RehearingPetition,
    ReplacementDemand,
    Ruling,
    Stay,
    parse_court_event,
)
from comity.domain.workflow import (
    COURT_EVENT,
    Case,
    CaseState,
    DecisionKind,
    FindingScope,
    HoldBasis,
    Pathway,
    record_court_event,
)
from comity.errors import Conflict, Forbidden, IllegalTransition, InvalidInput

ABROAD = FindingScope(categories=(Category.CONTENT,), stored_abroad=True)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


def quash(case: Case, at: datetime, motion_id: str = "m1") -> Case:
    event = Motion(kind="motion_to_quash", motion_id=motion_id, at=at, scope=ABROAD)
    return record_court_event(case, event, REVIEWER, at)[0]


def test_motion_to_quash_objects_and_contests_the_findings_in_scope() -> None:
    case, events = record_court_event(
        reach(CaseState.IN_REVIEW),
        Motion(kind="motion_to_quash", motion_id="m1", at=day(1), scope=ABROAD),
        REVIEWER,
        day(1),
    )
    assert case.state is CaseState.OBJECTED
    assert case.effective_status(CONTENT.key) == "contested"
    assert case.effective_status(SUBSCRIBER.key) == "pending"
    assert [e.action for e in events] == ["case:court:motion_to_quash", "case:object"]


def test_a_ruling_that_quashes_foreign_content_withdraws_those_findings() -> None:
    case = quash(reach(CaseState.IN_REVIEW), day(1))
    case, _ = record_court_event(
        case, Ruling(at=day(30), court="us.ca2", outcome="grants", scope=ABROAD), REVIEWER, day(30)
    )
    assert case.effective_status(CONTENT.key) == "quashed"
    assert case.court.motions[0].status == "granted"
    case, _ = case.resume(REVIEWER, day(31), "quashed as to Dublin content")
    with pytest.raises(Conflict, match="quashed"):
        case.decide(CONTENT.key, DecisionKind.PRODUCE, REVIEWER, day(31))
    case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, REVIEWER, day(31))
    case, _ = case.recommend(REVIEWER, day(31))  # the quashed finding needs no decision
    case, _ = case.approve(APPROVER, day(32))
    case, _ = case.start_production(ADMIN, day(32))
    case, _ = case.deliver(ADMIN, day(33))
    assert case.produced == (SUBSCRIBER.key,)
    assert case.statuses()[CONTENT.key] == "quashed"


def test_a_ruling_that_denies_leaves_the_demand_standing() -> None:
    case = quash(reach(CaseState.IN_REVIEW), day(1))
    case, _ = record_court_event(
        case, Ruling(at=day(30), court="us.nysd", outcome="denies"), REVIEWER, day(30)
    )
    assert case.effective_status(CONTENT.key) == "ordered"
    assert case.state is CaseState.OBJECTED
    with pytest.raises(InvalidInput, match="no motion or appeal 'zzz'"):
        record_court_event(
            case, Ruling(at=day(31), decides="zzz", outcome="denies"), REVIEWER, day(31)
        )


def test_pending_2703h_motion_means_preserve_do_not_produce() -> None:
    case = reach(CaseState.IN_REVIEW)
    motion = Motion(kind="motion_2703h", motion_id="h1", at=day(13), scope=ABROAD)
    case, _ = record_court_event(case, motion, REVIEWER, day(13))
    assert case.effective_status(CONTENT.key) == "preserve_only"
    assert case.court.motions[0].scope.categories == (Category.CONTENT,)
    case, _ = case.resume(REVIEWER, day(14), "produce what the motion does not cover")
    case, _ = case.decide(SUBSCRIBER.key, DecisionKind.PRODUCE, REVIEWER, day(14))
    case, _ = case.decide(CONTENT.key, DecisionKind.PRODUCE, REVIEWER, day(14))
    case, _ = case.recommend(REVIEWER, day(14))
    approved, _ = case.approve(APPROVER, day(14))
    with pytest.raises(Conflict, match=r"2703\(h\)\(4\)"):
        approved.start_production(ADMIN, day(15))
    case, _ = case.decide(CONTENT.key, DecisionKind.WITHHOLD, REVIEWER, day(15), justification="h")
    case, _ = case.recommend(REVIEWER, day(15))
    case, _ = case.approve(APPROVER, day(15))
    case, _ = case.start_production(ADMIN, day(16))
    assert case.state is CaseState.IN_PRODUCTION


def test_2703h_motion_deadline_is_14_days_after_service_at_the_boundary() -> None:
    case = reach(CaseState.IN_REVIEW)  # served 2026-09-01 05:00 EDT; day 14 is 15 Sep
    last = datetime(2026, 9, 16, 4, tzinfo=UTC)  # end of 15 Sep in New York
    ok = Motion(kind="motion_2703h", motion_id="h1", at=last - timedelta(microseconds=1))
    assert record_court_event(case, ok, REVIEWER, last)[0].state is CaseState.OBJECTED
    late = Motion(kind="motion_2703h", motion_id="h1", at=last)
    with pytest.raises(Conflict, match=r"2703\(h\)\(2\)\(A\)"):
        record_court_event(case, late, REVIEWER, last)
    extended = late.model_copy(update={"time_extended": True})
    assert record_court_event(case, extended, REVIEWER, last)[0].state is CaseState.OBJECTED
    non_content = Motion(
        kind="motion_2703h",
        motion_id="h2",
        at=day(1),
        scope=FindingScope(categories=(Category.TRAFFIC,)),
    )
    with pytest.raises(InvalidInput, match="content only"):
        record_court_event(case, non_content, REVIEWER, day(1))


def test_2703h_deadline_shows_until_the_motion_is_filed() -> None:
    case = reach(CaseState.RECEIVED)
    content = CONTENT.model_copy(update={"pathway": Pathway.OBJECT})
    case, _ = case.assess([SUBSCRIBER, content], SYSTEM, tick(1))
    kinds = {d.kind: d for d in case.deadlines()}
    assert kinds["motion_2703h"].due_at == datetime(2026, 9, 16, 4, tzinfo=UTC)
    case, _ = record_court_event(
        case, Motion(kind="motion_2703h", motion_id="h1", at=day(2)), REVIEWER, day(2)
    )
    assert "motion_2703h" not in {d.kind for d in case.deadlines()}


def test_contempt_by_stipulation_without_sanctions_keeps_the_case_open_pending_appeal() -> None:
    case = quash(reach(CaseState.IN_REVIEW), day(1))
    case, _ = record_court_event(case, Ruling(at=day(30), outcome="denies"), REVIEWER, day(30))
    case, _ = record_court_event(
        case, Contempt(at=day(40), sanctions=False, stipulated=True), REVIEWER, day(40)
    )
    case, _ = record_court_event(
        case, Appeal(at=day(41), appeal_id="a1", by="provider", court="us.ca2"), REVIEWER, day(41)
    )
    assert case.state is CaseState.OBJECTED
    assert case.court.contempt is not None
    assert not case.court.contempt.sanctions
    assert "close" in case.allowed_actions()
    assert "resume" in case.allowed_actions()
    case, _ = record_court_event(
        case,
        Ruling(at=day(400), decides="a1", outcome="grants", scope=ABROAD, vacates_contempt=True),
        REVIEWER,
        day(400),
    )
    assert case.court.contempt is not None
    assert case.court.contempt.vacated_at == day(400)
    assert case.effective_status(CONTENT.key) == "quashed"


def test_contempt_moves_an_approved_case_to_objected() -> None:
    case, events = record_court_event(
        reach(CaseState.APPROVED), Contempt(at=day(5), sanctions=True), REVIEWER, day(5)
    )
    assert case.state is CaseState.OBJECTED
    assert "sanctions" in (events[-1].payload["reason"] or "")


def test_rehearing_granted_reopens_the_appeal_and_denied_leaves_it_decided() -> None:
    case = quash(reach(CaseState.IN_REVIEW), day(1))
    case, _ = record_court_event(
        case, Appeal(at=day(2), appeal_id="a1", by="provider"), REVIEWER, day(2)
    )
    case, _ = record_court_event(
        case, Ruling(at=day(3), decides="a1", outcome="grants"), REVIEWER, day(3)
    )
    filed = RehearingPetition(at=day(4), petition_id="p1", by="government", outcome="filed")
    case, _ = record_court_event(case, filed, REVIEWER, day(4))
    denied, _ = record_court_event(
        case, filed.model_copy(update={"outcome": "denied", "at": day(5)}), REVIEWER, day(5)
    )
    assert denied.court.petitions[0].status == "denied"
    assert denied.court.appeals[0].status == "decided"
    granted, _ = record_court_event(
        case, filed.model_copy(update={"outcome": "granted", "at": day(5)}), REVIEWER, day(5)
    )
    assert granted.court.appeals[0].status == "pending"
    with pytest.raises(InvalidInput, match="no pending petition"):
        record_court_event(
            denied, filed.model_copy(update={"outcome": "granted"}), REVIEWER, day(6)
        )


def test_vacated_as_moot_with_a_replacement_closes_and_points_to_the_new_demand() -> None:
    case = quash(reach(CaseState.IN_REVIEW), day(1))
    case, _ = case.place_hold(
        REVIEWER,
        day(1),
        account="acct-1",
        categories=(Category.CONTENT,),
        region="eu-ie",
        basis=HoldBasis.LITIGATION,
    )
    case, _ = record_court_event(
        case, Ruling(at=day(30), outcome="grants", scope=ABROAD), REVIEWER, day(30)
    )
    case, _ = record_court_event(
        case,
        LawChange(
            at=day(50), what="CLOUD Act", citation="18 U.S.C. 2713", effective=day(50).date()
        ),
        REVIEWER,
        day(50),
    )
    assert case.needs_reassessment is not None
    assert "CLOUD Act" in case.needs_reassessment
    case, _ = record_court_event(
        case, ReplacementDemand(at=day(55), reference="W-2", received_at=day(55)), REVIEWER, day(55)
    )
    assert case.state is CaseState.OBJECTED
    case, events = record_court_event(
        case,
        JudgmentVacated(at=day(70), court="us.supreme", moot=True, dismiss=True),
        REVIEWER,
        day(70),
    )
    assert case.state is CaseState.CLOSED
    assert case.replaced_by == "W-2"
    assert case.outcome is not None
    assert "vacated as moot" in case.outcome
    assert "W-2" in case.outcome
    assert case.effective_status(CONTENT.key) == "superseded"
    assert case.court.motions[0].status == "granted"
    assert case.active_holds(day(70)) == []
    assert events[-1].action == "case:close"
    with pytest.raises(Conflict, match="closed"):
        record_court_event(case, Proceeding(at=day(71), what="late filing"), REVIEWER, day(71))


def test_vacated_not_as_moot_reopens_the_question() -> None:
    case = quash(reach(CaseState.IN_REVIEW), day(1))
    case, _ = record_court_event(case, Ruling(at=day(3), outcome="grants"), REVIEWER, day(3))
    case, _ = record_court_event(case, JudgmentVacated(at=day(9), moot=False), REVIEWER, day(9))
    assert case.state is CaseState.OBJECTED
    assert case.effective_status(CONTENT.key) == "contested"


def test_stays_and_proceedings_are_recorded_without_moving_the_case() -> None:
    case = quash(reach(CaseState.IN_REVIEW), day(1))
    stayed, _ = record_court_event(case, Stay(at=day(2), granted=True), REVIEWER, day(2))
    assert stayed.court.stay_in_force
    assert stayed.state is case.state
    argued, events = record_court_event(
        case, Proceeding(at=day(3), what="argument"), REVIEWER, day(3)
    )
    assert argued.state is case.state
    assert len(argued.court.events) == 2
    assert [e.action for e in events] == ["case:court:proceeding"]


def test_court_events_need_a_legal_team_role_and_a_state_that_can_object() -> None:
    with pytest.raises(Forbidden):
        record_court_event(
            reach(CaseState.IN_REVIEW), Proceeding(at=day(1), what="x"), REQUESTER, day(1)
        )
    with pytest.raises(IllegalTransition, match="rejected"):
        quash(reach(CaseState.REJECTED), day(1))


def test_a_motion_during_production_stops_it() -> None:
    """Production must stop when a motion to quash is filed: the case leaves ``in_production``
    for ``objected``, and what it was producing is abandoned (services/productions)."""
    case = quash(reach(CaseState.IN_PRODUCTION), day(1))
    assert case.state is CaseState.OBJECTED
    assert case.effective_status(CONTENT.key) == "contested"


def test_court_events_round_trip_as_plain_json() -> None:
    event = Motion(kind="motion_to_modify", motion_id="m9", at=day(1), scope=ABROAD)
    assert COURT_EVENT.validate_python(event.model_dump(mode="json")) == event
    case = quash(reach(CaseState.IN_REVIEW), day(1))
    assert Case.model_validate(case.model_dump(mode="json")) == case


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"kind": "replacement_demand", "reference": "r", "received_at": 0}, "received_at"),
        ({"kind": "motion_to_quash", "motion_id": "m", "by": "provider", "at": 0}, "at"),
        ({"kind": "stay", "granted": "yes"}, "granted"),
        ({"kind": "stay", "granted": 1}, "granted"),
        ({"kind": "law_change", "what": "w", "citation": "c", "effective": 0}, "effective"),
    ],
)
def test_a_court_event_field_of_the_wrong_json_type_is_refused(event: dict, field: str) -> None:
    """Schemathesis (ST201): ``received_at: 0`` was read as the Unix epoch and accepted."""
    with pytest.raises(InvalidInput, match=rf"{field}"):
        parse_court_event(event, now=datetime(2026, 11, 30, tzinfo=UTC))


def test_a_court_event_from_yaml_values_is_read_as_its_json() -> None:
    """The CLI's ``--set`` values are YAML: its days and times are written as JSON first."""
    event = parse_court_event(
        {
            "kind": "replacement_demand",
            "reference": "r-2",
            "received_at": datetime(2026, 11, 1, tzinfo=UTC),
            "at": datetime(2026, 11, 2, 9, tzinfo=UTC),
        },
        now=datetime(2026, 11, 30, tzinfo=UTC),
    )
    assert event.at == datetime(2026, 11, 2, 9, tzinfo=UTC)
