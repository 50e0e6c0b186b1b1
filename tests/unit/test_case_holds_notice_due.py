"""Holds on a case, gag orders and user notice, and the due list across cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tests.unit.case_helpers import (
    ADMIN,
    APPROVER,
    FINDINGS,
    REQUESTER,
    REVIEWER,
    new_case,
    reach,
    tick,
)

from comity.domain.categories import Category
from comity.domain.demand_schema import parse_demand
from comity.domain.workflow import (
    SYSTEM,
    Case,
    CaseState,
    Deadline,
    DecisionKind,
    FindingRef,
    HoldBasis,
    Pathway,
    due_list,
    new_case_for_demand,
)
from comity.errors import Conflict, Forbidden, InvalidInput, NotFound
from comity.law.countries import known_countries

IE = "Europe/Dublin"
ONE = timedelta(microseconds=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- holds on a case -----------------------------------------------------------------------


def test_a_2703f_hold_on_a_case_expires_extends_once_and_is_audited() -> None:
    placed = utc(2026, 1, 15, 15)
    case = new_case(instrument="us.preservation", received_at=placed, now=placed)
    case, events = case.place_hold(
        REVIEWER,
        placed,
        account="acct-1",
        categories=(Category.CONTENT, Category.TRAFFIC),
        region="us-east",
        basis=HoldBasis.US_2703F,
    )
    hold = case.holds[0]
    assert events[0].action == "case:hold:placed"
    assert events[0].subject == f"hold/{hold.hold_id}"
    assert hold.expires_at == utc(2026, 4, 16, 4)
    expiry = [d for d in case.deadlines() if d.kind == "hold_expiry"]
    assert expiry
    assert expiry[0].citation == "18 U.S.C. 2703(f)(2)"
    case, events = case.extend_hold(hold.hold_id, REVIEWER, utc(2026, 4, 10))
    assert case.holds[0].expires_at == utc(2026, 7, 15, 4)
    assert events[0].action == "case:hold:extended"
    with pytest.raises(Conflict, match="already extended"):
        case.extend_hold(hold.hold_id, REVIEWER, utc(2026, 5, 1))
    case, _ = case.release_hold(hold.hold_id, ADMIN, utc(2026, 6, 1), "warrant served")
    assert case.active_holds(utc(2026, 6, 1)) == []
    assert [d for d in case.deadlines() if d.kind == "hold_expiry"] == []


def test_holds_need_the_legal_team_and_an_open_case() -> None:
    case = new_case()
    with pytest.raises(Forbidden):
        case.place_hold(
            REQUESTER,
            utc(2026, 9, 2),
            account="a",
            categories=(Category.CONTENT,),
            region="r",
            basis=HoldBasis.LITIGATION,
        )
    with pytest.raises(InvalidInput, match="at least one"):
        case.place_hold(
            REVIEWER,
            utc(2026, 9, 2),
            account="a",
            categories=(),
            region="r",
            basis=HoldBasis.LITIGATION,
        )
    with pytest.raises(Conflict, match="withdrawn"):
        reach(CaseState.WITHDRAWN).place_hold(
            REVIEWER,
            utc(2026, 9, 2),
            account="a",
            categories=(Category.CONTENT,),
            region="r",
            basis=HoldBasis.LITIGATION,
        )
    with pytest.raises(NotFound, match="no hold"):
        case.extend_hold("nope", REVIEWER, utc(2026, 9, 2))


def test_an_epoc_pr_hold_is_confirmed_by_a_follow_up_request() -> None:
    placed = utc(2026, 9, 1, 10)
    case = new_case(
        instrument="eu.epoc_pr", issuer_country="BE", zone=IE, received_at=placed, now=placed
    )
    case, _ = case.place_hold(
        REVIEWER,
        placed,
        account="acct-1",
        categories=(Category.CONTENT,),
        region="eu-ie",
        basis=HoldBasis.EU_EPOC_PR,
    )
    hold_id = case.holds[0].hold_id
    case, events = case.confirm_hold_follow_up(hold_id, REVIEWER, utc(2026, 10, 1))
    assert case.holds[0].expires_at is None
    assert case.holds[0].is_active(utc(2027, 1, 1))
    assert events[0].action == "case:hold:confirmed"


# --- gag orders and notice -----------------------------------------------------------------


def _notice(case: Case) -> list[Deadline]:
    return [d for d in case.deadlines() if d.kind == "user_notice"]


def test_a_new_demand_is_not_overdue_on_arrival() -> None:
    """Notice is owed before disclosure (Google policy), not at receipt: nothing is due yet."""
    case = new_case()
    assert _notice(case) == []
    assert due_list([case], now=case.received_at, window=timedelta(days=1)).overdue == ()
    assessed, _ = case.assess(FINDINGS, SYSTEM, tick(1))
    assert _notice(assessed) == []  # no disclosure deadline, nothing approved yet


def test_notice_is_due_when_disclosure_is_approved_unless_an_order_forbids_it() -> None:
    case = reach(CaseState.APPROVED)
    approved_at = next(e.at for e in case.history if e.action == "approve")
    notice = _notice(case)
    assert [d.due_at for d in notice] == [approved_at]
    assert notice[0].citation == "provider policy (notice before disclosure)"
    assert _notice(reach(CaseState.IN_REVIEW)) == []
    case, _ = case.set_non_disclosure(REVIEWER, tick(7), until=None, indefinite=True)
    assert _notice(case) == []
    with pytest.raises(Conflict, match="2705"):
        case.give_notice(REVIEWER, tick(8))


def test_notice_is_due_by_the_first_deadline_to_disclose_a_finding() -> None:
    hand_over_by = utc(2026, 9, 11, 22)
    dated = FindingRef(
        target="target@example.com",
        category=Category.CONTENT,
        region="eu-ie",
        pathway=Pathway.DISCLOSE,
        deadline=hand_over_by,
    )
    case, _ = new_case().assess([dated], SYSTEM, utc(2026, 9, 1, 10))
    assert [d.due_at for d in _notice(case)] == [hand_over_by]


def test_a_case_that_discloses_nothing_owes_no_notice() -> None:
    for state in (CaseState.REJECTED, CaseState.REDIRECTED, CaseState.OBJECTED):
        assert _notice(reach(state)) == [], state
    case = reach(CaseState.IN_REVIEW)
    for key in (f.key for f in FINDINGS if f.pathway is not Pathway.NO_DATA):
        case, _ = case.decide(
            key, DecisionKind.WITHHOLD, REVIEWER, tick(3), justification="not in scope"
        )
    assert _notice(case) == []
    preserve_only = FindingRef(
        target="target@example.com",
        category=Category.CONTENT,
        region="us-east",
        pathway=Pathway.PRESERVE,
        deadline=utc(2026, 9, 2),
    )
    case, _ = new_case().assess([preserve_only], SYSTEM, tick(1))
    assert _notice(case) == []


def test_notice_stays_owed_after_delivery_until_given() -> None:
    case = reach(CaseState.DELIVERED)
    approved_at = next(e.at for e in case.history if e.action == "approve")
    assert [d.due_at for d in _notice(case)] == [approved_at]
    told, _ = case.give_notice(REVIEWER, tick(9))
    assert _notice(told) == []


def test_when_the_order_ends_notice_becomes_due_and_shows_on_the_list() -> None:
    # The order runs through 4 Dec 2026 (New York); it ends at 05:00 UTC on 5 Dec.
    case = reach(CaseState.APPROVED)
    case, _ = case.set_non_disclosure(REVIEWER, tick(7), until=date(2026, 12, 4), indefinite=False)
    ends = utc(2026, 12, 5, 5)
    notice = next(d for d in case.deadlines() if d.kind == "user_notice")
    assert notice.due_at == ends
    assert notice.citation == "18 U.S.C. 2705(b)"
    before = due_list([case], now=ends - ONE, window=timedelta(days=1))
    assert [d.kind for d in before.due_soon] == ["user_notice"]
    assert before.overdue == ()
    after = due_list([case], now=ends, window=timedelta(days=1))
    assert [d.kind for d in after.overdue] == ["user_notice"]
    with pytest.raises(Conflict):
        case.give_notice(REVIEWER, ends - ONE)
    told, events = case.give_notice(REVIEWER, ends)
    assert told.notice.given_to == "the user"
    assert events[0].action == "case:notice:given"
    assert [d for d in told.deadlines() if d.kind == "user_notice"] == []
    with pytest.raises(Conflict, match="already"):
        told.give_notice(REVIEWER, ends)


def test_delayed_notice_under_2705a_postpones_notice_90_days_at_a_time() -> None:
    case = reach(CaseState.APPROVED)
    case, _ = case.delay_notice(REVIEWER, utc(2026, 9, 2), start=utc(2026, 9, 1, 9), periods=1)
    kinds = {d.kind: d for d in case.deadlines()}
    assert kinds["delayed_notice_end"].due_at == utc(2026, 12, 1, 5)  # end of 30 Nov, EST
    assert kinds["user_notice"].due_at == utc(2026, 12, 1, 5)
    case, _ = case.delay_notice(REVIEWER, utc(2026, 11, 20), start=utc(2026, 9, 1, 9), periods=2)
    assert {d.kind: d for d in case.deadlines()}["user_notice"].due_at == utc(2027, 3, 1, 5)


def test_enterprise_accounts_the_customer_is_told() -> None:
    case = new_case()
    entity = FindingRef(
        target="ceo@customer.example",
        category=Category.CONTENT,
        region="eu-ie",
        pathway=Pathway.REDIRECT_ENTITY,
    )
    case, _ = case.assess([entity], SYSTEM, utc(2026, 9, 1, 10))
    case, _ = case.set_customer(REVIEWER, utc(2026, 9, 1, 11), "Contoso Ltd")
    assert _notice(case) == []  # owed once the demand is redirected to the customer
    case, _ = case.start_review(REVIEWER, utc(2026, 9, 1, 11, 30))
    case, _ = case.redirect(REVIEWER, utc(2026, 9, 1, 11, 45), "serve Contoso Ltd")
    notice = next(d for d in case.deadlines() if d.kind == "user_notice")
    assert notice.due_at == utc(2026, 9, 1, 11, 45)
    assert "customer Contoso Ltd" in notice.description
    told, _ = case.give_notice(REVIEWER, utc(2026, 9, 1, 12))
    assert told.notice.given_to == "customer Contoso Ltd"


def test_a_withdrawn_demand_needs_no_notice() -> None:
    case = reach(CaseState.WITHDRAWN)
    assert [d for d in case.deadlines() if d.kind == "user_notice"] == []


# --- the due list across cases -------------------------------------------------------------


def _epoc(case_id: str, received: datetime, *, emergency: bool = False):  # type: ignore[no-untyped-def]
    case = new_case(
        case_id=case_id,
        instrument="eu.epoc",
        issuer_country="BE",
        zone=IE,
        received_at=received,
        now=received,
        emergency=emergency,
    )
    case = case.model_copy(update={"notice": case.notice.model_copy(update={"notify": False})})
    finding = FINDINGS[1].model_copy(update={"pathway": Pathway.NOTIFY_THEN_DISCLOSE})
    return case.assess([finding], SYSTEM, received)[0]


def test_due_list_across_cases_sorts_overdue_and_due_soon() -> None:
    slow = _epoc("slow", utc(2026, 10, 20, 13))  # due 2026-10-31T00:00Z
    fast = _epoc("fast", utc(2026, 10, 30, 20), emergency=True)  # due 2026-10-31T04:00Z
    now = utc(2026, 10, 31, 0)
    report = due_list([slow, fast], now=now, window=timedelta(hours=4))
    assert [(d.subject, d.kind) for d in report.overdue] == [
        ("case/slow", "enforcing_authority_window"),
        ("case/slow", "epoc_production"),
    ]
    assert [(d.subject, d.kind) for d in report.due_soon] == [
        ("case/fast", "epoc_production"),
    ]
    assert all(d.citation for d in (*report.overdue, *report.due_soon))
    later = due_list([slow, fast], now=utc(2026, 11, 3, 20), window=timedelta(hours=4))
    assert {d.kind for d in later.overdue if d.subject == "case/fast"} == {
        "epoc_production",
        "enforcing_authority_window",
    }


def test_production_deadlines_stop_once_the_demand_is_answered() -> None:
    case = _epoc("c", utc(2026, 10, 20, 13))
    case, _ = case.start_review(REVIEWER, utc(2026, 10, 21))
    case, _ = case.reject(REVIEWER, utc(2026, 10, 22), "not validated by a judge (Art. 4(2))")
    assert [d.kind for d in case.deadlines()] == []


def test_a_preservation_request_is_due_at_once_until_a_hold_is_placed() -> None:
    received = utc(2026, 1, 15, 15)
    case = new_case(instrument="us.preservation", received_at=received, now=received)
    due = [d for d in case.deadlines() if d.kind == "preservation_required"]
    assert [d.due_at for d in due] == [received]
    assert due[0].citation == "18 U.S.C. 2703(f)(1)"
    case, _ = case.place_hold(
        REVIEWER,
        received,
        account="acct-1",
        categories=(Category.CONTENT,),
        region="us-east",
        basis=HoldBasis.US_2703F,
    )
    assert "preservation_required" not in {d.kind for d in case.deadlines()}


def test_a_case_opens_from_a_parsed_demand_document() -> None:
    doc = {
        "reference": "EPOC-2026-17",
        "received_at": "2026-10-20T15:00:00+02:00",
        "issuing_authority": {"country": "BE", "kind": "investigating_judge", "name": "Juge"},
        "instrument": "eu.epoc",
        "categories": ["content"],
        "targets": [{"type": "email", "value": "x@example.com"}],
        "period": {"start": "2026-01-01", "end": "2026-06-30"},
        "emergency": {"threat": "kidnapping", "verified_by": "callback"},
        "non_disclosure": {"until": "2027-01-31"},
    }
    demand, problems = parse_demand(doc, known_countries=known_countries())
    assert demand is not None, problems
    case, events = new_case_for_demand(
        demand, case_id="c-epoc", zone=IE, now=utc(2026, 10, 20, 13, 5)
    )
    assert case.received_at == utc(2026, 10, 20, 13)
    assert case.emergency
    assert case.period is not None
    assert case.notice.non_disclosure_until == date(2027, 1, 31)
    assert events[0].action == "case:opened"
    production = next(d for d in case.deadlines() if d.kind == "epoc_production")
    assert production.due_at == utc(2026, 10, 20, 21)


def _approved_epoc(*, emergency: bool):  # type: ignore[no-untyped-def]
    received = utc(2026, 10, 20, 13)
    case = _epoc("n", received, emergency=emergency)
    key = case.findings[0].key
    case, _ = case.start_review(REVIEWER, received)
    case, _ = case.decide(key, DecisionKind.PRODUCE, REVIEWER, received)
    case, _ = case.recommend(REVIEWER, received)
    return case.approve(APPROVER, received)[0]


def test_a_notified_epoc_waits_for_the_enforcing_authoritys_window() -> None:
    case = _approved_epoc(emergency=False)
    ends = utc(2026, 10, 31, 0)  # end of the 10th day after receipt, Dublin
    with pytest.raises(Conflict, match="suspensive effect"):
        case.start_production(ADMIN, ends - ONE)
    assert case.start_production(ADMIN, ends)[0].state is CaseState.IN_PRODUCTION


def test_an_emergency_epoc_does_not_wait() -> None:
    case = _approved_epoc(emergency=True)
    started, _ = case.start_production(ADMIN, utc(2026, 10, 20, 14))
    assert started.state is CaseState.IN_PRODUCTION
