"""Moving an account between regions: a crash at any step loses nothing, and re-running finishes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.conftest import FixedClock

from comity.adapters.controlplane.tables import AuditEntryRow
from comity.adapters.mail.sources import mbox_records
from comity.bootstrap import Comity, open_deployment
from comity.demo.mail import DEMO_EPOCH, mbox_lines, synthetic_messages
from comity.domain.accounts import Account, Selector
from comity.domain.categories import ALL_CATEGORIES, Category
from comity.domain.records import Record
from comity.errors import Conflict, IntegrityError, NotFound
from comity.services.accounts import create_account, get_account
from comity.services.custody.ingest import ingest
from comity.services.custody.moves import STEPS, MoveReport, move_account

THREE_REGIONS = """\
[provider]
name = "Example Mail Inc."
established_in = "US"
offers_services_in = ["US", "IE", "DE"]

[regions.us-west]
country = "US"
store = "sqlite:///regions/us-west.db"

[regions.eu-ie]
country = "IE"
store = "sqlite:///regions/eu-ie.db"

[regions.eu-de]
country = "DE"
store = "sqlite:///regions/eu-de.db"
"""


class Crash(Exception):
    pass


@pytest.fixture
def comity(tmp_path: Path, clock: FixedClock) -> Comity:
    (tmp_path / "comity.toml").write_text(THREE_REGIONS)
    c = open_deployment(tmp_path, clock)
    c.migrate()
    c.prepare_regions()
    account = Account(
        "msn-1",
        (Selector("email", "target@msn.example"),),
        "eu-ie",
        {Category.TRAFFIC: "us-west"},
    )
    create_account(c.uow, account, actor="test", clock=clock)
    box = tmp_path / "in.mbox"
    mail = synthetic_messages(random.Random(7), ("T", "target@msn.example"), 12, DEMO_EPOCH)
    box.write_bytes(b"".join(mbox_lines(mail)))
    ingest(
        c.uow,
        c.region_store,
        "msn-1",
        partial(mbox_records, box, "msn-1", clock.now()),
        kind="mbox",
        source="in.mbox",
        actor="test",
        clock=clock,
    )
    return c


def _holdings(comity: Comity) -> dict[str, dict[Category, dict[str, bytes]]]:
    """region -> category -> {record id: plaintext} for msn-1, decrypting with each region's key."""
    out: dict[str, dict[Category, dict[str, bytes]]] = {}
    for region in comity.deployment.region_ids:
        for record in comity.region_store(region).read("msn-1"):
            out.setdefault(region, {}).setdefault(record.category, {})[record.id] = record.body
    return out


def _move(comity: Comity, to: str, category: Category | None = None, fault=None) -> MoveReport:  # type: ignore[no-untyped-def]
    return move_account(
        comity.uow,
        comity.move_journal,
        comity.region_store,
        "msn-1",
        to,
        category=category,
        actor="test",
        clock=comity.clock,
        fault=fault or (lambda step: None),
    )


def _actions(comity: Comity) -> list[str]:
    with comity.uow() as uow:
        return list(uow.session.scalars(select(AuditEntryRow.action).order_by(AuditEntryRow.idx)))


def _assert_whole_where_placed(comity: Comity, original: dict[Category, dict[str, bytes]]) -> None:
    account = get_account(comity.uow, "msn-1")
    held = _holdings(comity)
    for category, records in original.items():
        assert held[account.region_for(category)][category] == records, category


def test_a_whole_account_moves_and_is_deleted_at_the_source(comity: Comity) -> None:
    before = _holdings(comity)
    original = {c: r for region in before.values() for c, r in region.items()}
    report = _move(comity, "eu-de")
    assert report.moved == {"subscriber": 0, "identification": 0, "traffic": 12, "content": 12}
    account = get_account(comity.uow, "msn-1")
    assert (account.home_region, account.placement) == ("eu-de", {})
    assert _holdings(comity) == {"eu-de": original}
    assert _actions(comity)[-1] == "custody:move:completed"
    assert "custody:move:switched" in _actions(comity)


def test_one_category_moves_alone(comity: Comity) -> None:
    _move(comity, "eu-de", Category.CONTENT)
    account = get_account(comity.uow, "msn-1")
    assert account.region_for(Category.CONTENT) == "eu-de"
    assert account.region_for(Category.TRAFFIC) == "us-west"
    assert account.home_region == "eu-ie"
    assert set(_holdings(comity)) == {"eu-de", "us-west"}


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_at_any_step_loses_nothing_and_rerunning_finishes(
    comity: Comity, step: str
) -> None:
    before = _holdings(comity)
    original = {c: r for region in before.values() for c, r in region.items()}

    def crash(at: str) -> None:
        if at == step:
            raise Crash(at)

    with pytest.raises(Crash):
        _move(comity, "eu-de", fault=crash)
    _assert_whole_where_placed(comity, original)

    report = _move(comity, "eu-de")
    assert report.resumed
    assert _holdings(comity) == {"eu-de": original}
    assert get_account(comity.uow, "msn-1").home_region == "eu-de"
    assert _move(comity, "eu-de").moved == {}  # nothing left to do
    assert _actions(comity).count("custody:move:completed") == len(ALL_CATEGORIES)


def test_a_crash_on_every_step_in_turn_still_finishes(comity: Comity) -> None:
    before = _holdings(comity)
    original = {c: r for region in before.values() for c, r in region.items()}
    for step in [*STEPS, *STEPS]:

        def crash(at: str, step: str = step) -> None:
            if at == step:
                raise Crash(at)

        try:
            _move(comity, "eu-de", fault=crash)
        except Crash:
            _assert_whole_where_placed(comity, original)
    _move(comity, "eu-de")
    assert _holdings(comity) == {"eu-de": original}


def test_a_copy_that_does_not_verify_stops_the_move_and_keeps_the_source(
    comity: Comity,
) -> None:
    before = _holdings(comity)

    def lose_a_record(at: str) -> None:
        if at == "copied":
            store = comity.region_store("eu-de").store
            for victim in store.read("msn-1"):
                with store.engine.begin() as conn:
                    conn.exec_driver_sql("DELETE FROM records WHERE id = ?", (victim.id,))
                break

    with pytest.raises(IntegrityError, match="does not match the source"):
        _move(comity, "eu-de", fault=lose_a_record)
    account = get_account(comity.uow, "msn-1")
    assert account.home_region == "eu-ie"
    held = _holdings(comity)
    assert held["eu-ie"] == before["eu-ie"]
    assert held["us-west"] == before["us-west"]


def test_an_unfinished_move_must_be_finished_before_another(comity: Comity) -> None:
    def crash(at: str) -> None:
        raise Crash(at)

    with pytest.raises(Crash):
        _move(comity, "eu-de", fault=crash)
    with pytest.raises(Conflict, match="unfinished move to eu-de"):
        _move(comity, "us-west")
    with pytest.raises(NotFound, match="unknown region 'mars'"):
        _move(comity, "mars")


def _ingest_more(comity: Comity, tmp_path: Path, seed: int) -> None:
    box = tmp_path / f"more-{seed}.mbox"
    mail = synthetic_messages(random.Random(seed), ("T", "target@msn.example"), 3, DEMO_EPOCH)
    box.write_bytes(b"".join(mbox_lines(mail)))
    ingest(
        comity.uow,
        comity.region_store,
        "msn-1",
        partial(mbox_records, box, "msn-1", comity.clock.now()),
        kind="mbox",
        source=box.name,
        actor="test",
        clock=comity.clock,
    )


def test_an_account_that_is_being_moved_refuses_ingest_until_the_move_ends(
    comity: Comity, tmp_path: Path
) -> None:
    def crash_after_copy(step: str) -> None:
        if step == "copied":
            raise Crash

    with pytest.raises(Crash):
        _move(comity, "eu-de", fault=crash_after_copy)
    before = _holdings(comity)
    # Written at the source now, these would be deleted once the move resumes: refused instead.
    with pytest.raises(Conflict, match="msn-1 is being moved to eu-de; finish the move"):
        _ingest_more(comity, tmp_path, seed=99)
    assert _holdings(comity) == before
    _move(comity, "eu-de")
    _ingest_more(comity, tmp_path, seed=99)
    moved = _holdings(comity)
    assert set(moved) == {"eu-de"}
    assert len(moved["eu-de"][Category.CONTENT]) == 12 + 3


def test_a_move_that_starts_while_an_ingest_writes_makes_the_ingest_roll_back(
    comity: Comity, tmp_path: Path
) -> None:
    """The ingest's final check sees a move that began after its first check; nothing is lost."""
    box = tmp_path / "late.mbox"
    mail = synthetic_messages(random.Random(5), ("T", "target@msn.example"), 3, DEMO_EPOCH)
    box.write_bytes(b"".join(mbox_lines(mail)))

    def records_then_a_move_starts() -> Iterator[Record]:
        yield from mbox_records(box, "msn-1", comity.clock.now())
        with comity.uow() as uow:  # a move's first step, committed while the ingest is writing
            uow.moves.start("msn-1", Category.CONTENT, "eu-ie", "eu-de", whole_account=False)
            uow.commit()

    before = _holdings(comity)
    with pytest.raises(Conflict, match="is being moved"):
        ingest(
            comity.uow,
            comity.region_store,
            "msn-1",
            records_then_a_move_starts,
            kind="mbox",
            source=box.name,
            actor="test",
            clock=comity.clock,
        )
    assert _holdings(comity) == before
    assert _actions(comity)[-2:] == ["custody:ingest_started", "custody:ingest_failed"]
