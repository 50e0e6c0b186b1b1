"""Holds, notices, court events and the due list through the case service, on SQLite and on
PostgreSQL (control plane and region stores): a hold provably blocks deletion in the region."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from tests.case_support import CONTENT, SUBSCRIBER, T0, TRAFFIC, build, file_warrant, law, user
from tests.conftest import FixedClock

from comity.bootstrap import Comity
from comity.domain.categories import Category
from comity.domain.records import MEDIA_TYPE_MESSAGE, Record
from comity.domain.workflow import CaseState
from comity.errors import Conflict, Forbidden, InvalidInput, NotFound
from comity.services.cases import actions as cases
from comity.services.cases import due as case_due
from comity.services.cases import holds as case_holds
from comity.services.custody.moves import move_account

CONTENT_ONLY = (Category.CONTENT,)


def _database(base: str) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def comity(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Comity]:
    clock = FixedClock(T0)
    if request.param == "postgresql":
        control = request.getfixturevalue("pg_url")
        base = os.environ["COMITY_TEST_PG_URL"]
        regions = f"{_database(base)} {_database(base)}"
        c = build(tmp_path, clock, control, regions)
    else:
        c = build(tmp_path, clock)
    yield c
    c.engine.dispose()
    for region in c.deployment.region_ids:
        c.region_store(region).store.engine.dispose()


def _mail(c: Comity, n: int = 3) -> None:
    vault = c.region_store("eu-ie")
    with vault.store.writer() as writer:
        for i in range(n):
            body = f"Subject: {i}\r\n\r\nbody {i}\r\n".encode()
            record = Record(f"m-{i}", "msn-1", Category.CONTENT, T0, body, MEDIA_TYPE_MESSAGE)
            writer.put(vault.seal(record))


def _case(c: Comity) -> str:
    return cases.ensure_case(c.intake_uow, c.clock, file_warrant(c).id, law(c)).case_id


def _place(c: Comity, case_id: str, basis: str = "litigation", who: str = "rev"):
    return case_holds.place_hold(
        c.intake_uow,
        c.clock,
        c.region_holds,
        user(c, who),
        case_id,
        account="msn-1",
        categories=CONTENT_ONLY,
        region="eu-ie",
        basis=basis,
    )


def test_a_hold_blocks_deletion_in_the_region_until_the_case_closes(comity: Comity) -> None:
    _mail(comity)
    store = comity.region_store("eu-ie").store
    case_id = _case(comity)
    case = _place(comity, case_id)
    hold_id = case.holds[0].hold_id
    assert [m.hold_id for m in store.holds("msn-1")] == [hold_id]
    with pytest.raises(Conflict, match=f"preservation hold {hold_id}"):
        store.delete("msn-1", [Category.CONTENT], now=comity.clock.now())
    assert store.count("msn-1") == 3
    # The user deletes their mail: it disappears for them and stays, byte for byte, in Dublin.
    assert store.hide("msn-1", [Category.CONTENT], comity.clock.now()) == (3, 0)
    assert list(store.read("msn-1")) == []
    assert store.count("msn-1") == 3
    # The account cannot be moved out of the region while held.
    with pytest.raises(Conflict, match="cannot move until the hold ends"):
        move_account(
            comity.uow,
            comity.move_journal,
            comity.region_store,
            "msn-1",
            "us-west",
            category=Category.CONTENT,
            actor="test",
            clock=comity.clock,
        )
    # Closing the case releases its holds in the region too; then the purge goes through.
    u, clock = comity.intake_uow, comity.clock
    cases.start_review(u, clock, user(comity, "rev"), case_id)
    cases.reject(u, clock, user(comity, "rev"), case_id, "no such customer")
    comity.clock.current = T0 + timedelta(days=1)  # type: ignore[attr-defined]
    case_holds.close(
        u, clock, comity.region_holds, user(comity, "admin"), case_id, reason="rejected"
    )
    assert store.holds("msn-1")[0].released_at == T0 + timedelta(days=1)
    assert store.delete("msn-1", [Category.CONTENT], now=comity.clock.now()) == 3


def test_holds_extend_confirm_and_release_as_the_law_allows(comity: Comity) -> None:
    case_id = _case(comity)
    store = comity.region_store("eu-ie").store
    u, clock, regions, rev = (
        comity.intake_uow,
        comity.clock,
        comity.region_holds,
        user(comity, "rev"),
    )
    case = _place(comity, case_id, basis="us.2703f")
    hold = case.holds[0]
    assert hold.expires_at is not None
    case = case_holds.extend_hold(u, clock, regions, rev, case_id, hold_id=hold.hold_id)
    extended = case.holds[0]
    assert extended.expires_at is not None
    # 90 more calendar days in New York (across the March DST change: 89 days 23 hours).
    ny = ZoneInfo("America/New_York")
    days = extended.expires_at.astimezone(ny).date() - hold.expires_at.astimezone(ny).date()
    assert days == timedelta(days=90)
    assert extended.expires_at.astimezone(ny).hour == 0
    assert store.holds()[0].expires_at == extended.expires_at
    with pytest.raises(Conflict, match="already extended"):
        case_holds.extend_hold(u, clock, regions, rev, case_id, hold_id=hold.hold_id)
    with pytest.raises(Conflict, match="only an EPOC-PR hold"):
        case_holds.confirm_hold(u, clock, regions, rev, case_id, hold_id=hold.hold_id)
    with pytest.raises(InvalidInput, match="say why"):
        case_holds.release_hold(u, clock, regions, rev, case_id, hold_id=hold.hold_id, reason=" ")
    with pytest.raises(NotFound, match="no hold"):  # a name that names nothing: 404, not 400
        case_holds.release_hold(u, clock, regions, rev, case_id, hold_id="h-9", reason="x")
    case = case_holds.release_hold(
        u, clock, regions, rev, case_id, hold_id=hold.hold_id, reason="warrant withdrawn"
    )
    assert case.holds[0].released_at == clock.now()
    assert store.holds()[0].released_at == clock.now()
    # EPOC-PR: confirmed follow-up keeps the hold as long as needed.
    case = _place(comity, case_id, basis="eu.epoc_pr")
    second = case.holds[1]
    case = case_holds.confirm_hold(u, clock, regions, rev, case_id, hold_id=second.hold_id)
    assert case.holds[1].expires_at is None
    assert store.holds()[1].expires_at is None


def test_hold_refusals_name_the_problem(comity: Comity) -> None:
    case_id = _case(comity)
    with pytest.raises(InvalidInput, match="basis: expected one of"):
        _place(comity, case_id, basis="forever")
    with pytest.raises(Forbidden, match="place a hold"):
        _place(comity, case_id, who="aud")
    with pytest.raises(NotFound, match="unknown region"):
        case_holds.place_hold(
            comity.intake_uow,
            comity.clock,
            comity.region_holds,
            user(comity, "rev"),
            case_id,
            account="msn-1",
            categories=CONTENT_ONLY,
            region="mars-1",
            basis="litigation",
        )
    assert comity.region_store("eu-ie").store.holds() == []


def test_court_events_change_the_case_as_in_practice(comity: Comity) -> None:
    case_id = _case(comity)
    u, clock, regions = comity.intake_uow, comity.clock, comity.region_holds
    rev, appr = user(comity, "rev"), user(comity, "appr")
    cases.start_review(u, clock, rev, case_id)
    for key in (SUBSCRIBER, TRAFFIC, CONTENT):
        cases.decide(u, clock, rev, case_id, finding=key, decision="produce")
    cases.recommend(u, clock, rev, case_id)
    cases.approve(u, clock, appr, case_id)
    with pytest.raises(InvalidInput, match="kind"):
        case_holds.record_court(u, clock, regions, rev, case_id, event={"kind": "duel"})
    case = case_holds.record_court(
        u,
        clock,
        regions,
        rev,
        case_id,
        event={
            "kind": "motion_2703h",
            "motion_id": "m-1",
            "scope": {"categories": ["content"], "stored_abroad": True},
        },
    )
    assert case.statuses()[CONTENT] in ("contested", "preserve_only")
    with pytest.raises(Conflict, match="state objected cannot start_production"):
        cases.start_production(u, clock, appr, case_id)
    case = case_holds.record_court(
        u,
        clock,
        regions,
        rev,
        case_id,
        event={"kind": "ruling", "decides": "m-1", "outcome": "grants"},
    )
    assert case.statuses()[CONTENT] == "quashed"


def test_a_notice_becomes_due_when_the_gag_order_ends(comity: Comity) -> None:
    case_id = _case(comity)
    u, clock, rev = comity.intake_uow, comity.clock, user(comity, "rev")
    # The warrant carries a non-disclosure order until 2014-12-04 (New York days).
    comity.clock.current = T0  # type: ignore[attr-defined]
    soon = case_due.due(u, clock, user(comity, "aud"), within=timedelta(days=400))
    assert [i for i in soon.due_soon if i.deadline.kind == "user_notice"] == []
    # Notice is owed before disclosure: once disclosure is approved it is due, gag permitting.
    cases.start_review(u, clock, rev, case_id)
    for key in (SUBSCRIBER, TRAFFIC, CONTENT):
        cases.decide(u, clock, rev, case_id, finding=key, decision="produce")
    cases.recommend(u, clock, rev, case_id)
    cases.approve(u, clock, user(comity, "appr"), case_id)
    soon = case_due.due(u, clock, user(comity, "aud"), within=timedelta(days=400))
    notice = [i for i in soon.due_soon if i.deadline.kind == "user_notice"]
    assert [i.case_id for i in notice] == [case_id]
    assert notice[0].deadline.due_at.isoformat() == "2014-12-05T05:00:00+00:00"
    with pytest.raises(Conflict, match="forbids telling"):
        case_holds.give_notice(u, clock, rev, case_id)
    # The court extends the order indefinitely: nothing is due; then it ends early.
    case_holds.set_non_disclosure(u, clock, rev, case_id, until=None, indefinite=True)
    later = case_due.due(u, clock, user(comity, "aud"), within=timedelta(days=4000))
    assert [i for i in later.due_soon + later.overdue if i.deadline.kind == "user_notice"] == []
    with pytest.raises(InvalidInput, match="needs an end date"):
        case_holds.set_non_disclosure(u, clock, rev, case_id, until=None)
    case_holds.set_non_disclosure(u, clock, rev, case_id, until=date(2013, 12, 5))
    comity.clock.current = T0 + timedelta(days=2)  # type: ignore[attr-defined]
    overdue = case_due.due(u, clock, user(comity, "aud"), within=timedelta(hours=48)).overdue
    assert "user_notice" in [i.deadline.kind for i in overdue]
    case = case_holds.give_notice(u, clock, rev, case_id)
    assert case.notice.given_at == comity.clock.now()
    case = case_holds.set_customer(u, clock, rev, case_id, "Contoso Ltd")
    assert case.notice.recipient() == "customer Contoso Ltd"
    with pytest.raises(Forbidden):
        case_due.due(u, clock, user(comity, "agent"), within=timedelta(hours=1))


def test_the_due_list_shows_hold_expiries_and_their_boundaries(comity: Comity) -> None:
    case_id = _case(comity)
    case = _place(comity, case_id, basis="us.2703f")
    expiry = case.holds[0].expires_at
    assert expiry is not None
    aud = user(comity, "aud")
    comity.clock.current = expiry - timedelta(hours=48)  # type: ignore[attr-defined]
    report = case_due.due(comity.intake_uow, comity.clock, aud, within=timedelta(hours=48))
    assert [i.deadline.kind for i in report.due_soon] == ["hold_expiry"]
    comity.clock.current = expiry  # type: ignore[attr-defined]
    report = case_due.due(comity.intake_uow, comity.clock, aud, within=timedelta(hours=48))
    assert "hold_expiry" in [i.deadline.kind for i in report.overdue]
    assert case_due.parse_window("48h") == timedelta(hours=48)
    with pytest.raises(InvalidInput, match="expected a span"):
        case_due.parse_window("two days")
    assert case.state is CaseState.ASSESSED


def test_a_hold_must_name_where_the_account_keeps_the_data(comity: Comity) -> None:
    case_id = _case(comity)
    args = (comity.intake_uow, comity.clock, comity.region_holds, user(comity, "rev"), case_id)
    with pytest.raises(InvalidInput, match="keeps content in eu-ie, not in us-west"):
        case_holds.place_hold(
            *args, account="msn-1", categories=CONTENT_ONLY, region="us-west", basis="litigation"
        )
    with pytest.raises(NotFound, match="no account with id 'ghost'"):
        case_holds.place_hold(
            *args, account="ghost", categories=CONTENT_ONLY, region="eu-ie", basis="litigation"
        )
    assert comity.region_store("us-west").store.holds() == []
