"""The queue and the due list read indexed copies of each case, kept equal to its document.

On SQLite and PostgreSQL: the copied columns and deadline rows say what the document says after
every save; paging with a cursor gives exactly the full list, in the same order the documents
give; a bad cursor or page size is one clear sentence; and migration 0010 fills the copies for
cases stored before it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from tests.unit.case_helpers import CONTENT, REQUESTER, SUBSCRIBER, SYSTEM, T0

from comity.adapters.controlplane.case_tables import CaseDeadlineRow, CaseRow
from comity.adapters.controlplane.cases_repo import FAR, derived, utc
from comity.adapters.controlplane.db import make_engine
from comity.adapters.controlplane.intake_repo import SqlIntakeUnitOfWork, intake_uow_factory
from comity.adapters.controlplane.migrate import alembic_config, upgrade
from comity.domain.registry import StaffRole, User
from comity.domain.workflow import Case, Period, Step, WaitingOn, new_case, waiting_on
from comity.errors import InvalidInput
from comity.services.cases import actions as cases
from comity.services.cases import due as case_due
from comity.services.cases import queue as case_queue
from comity.services.cases.steps import record_opening, record_step

STAFF = User("aud", "Auditor", "aud@provider.example", roles=frozenset({StaffRole.AUDITOR}))


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_url")
        return url
    return f"sqlite:///{tmp_path / 'control.db'}"


@pytest.fixture
def control_plane(db_url: str, clock) -> Iterator[Callable[[], SqlIntakeUnitOfWork]]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield intake_uow_factory(engine, clock.now)
    engine.dispose()


def _openings() -> list[Step]:
    """Cases whose deadlines differ: by receipt, instrument, findings and state."""
    made: list[Step] = []
    for n in range(9):
        received = T0 - timedelta(days=3 * n, hours=n)
        made.append(
            new_case(
                case_id=f"case-{n:02d}",
                reference=f"REF-{n}",
                instrument=["us.warrant", "eu.epoc", "us.sca_warrant"][n % 3],
                issuer_country="US" if n % 3 != 1 else "DE",
                zone="America/New_York" if n % 3 != 1 else "Europe/Dublin",
                received_at=received,
                now=received,
                period=Period(start=date(2026, 1, 1), end=date(2026, 8, 31)),
            )
        )
    return made


def _store(uow: SqlIntakeUnitOfWork) -> list[Case]:
    stored = []
    for n, opening in enumerate(_openings()):
        case = record_opening(uow, opening, demand_id=None, at=T0)
        if n % 2 == 0:
            case = record_step(uow, case.assess([SUBSCRIBER, CONTENT], SYSTEM, T0), T0)
        if n == 4:
            case = record_step(uow, case.withdraw(REQUESTER, T0, "withdrawn"), T0)
        stored.append(case)
    return stored


def _copies_agree(uow: SqlIntakeUnitOfWork, case: Case) -> None:
    row = uow.session.get(CaseRow, case.case_id)
    assert row is not None
    columns, deadlines = derived(case)
    for name, value in columns.items():
        got = getattr(row, name)
        assert (utc(got) if isinstance(got, datetime) else got) == value, name
    stored = uow.session.scalars(
        sa.select(CaseDeadlineRow).where(CaseDeadlineRow.case_id == case.case_id)
    ).all()
    assert sorted((utc(r.due_at), r.subject, r.kind) for r in stored) == sorted(
        (d.due_at.astimezone(UTC), d.subject, d.kind) for d in deadlines
    )


def _queue_order(every: list[Case]) -> list[str]:
    """The queue's order computed from the documents alone, as the queue was before 0010."""

    def key(case: Case) -> tuple[datetime, datetime, str]:
        soonest = min((d.due_at for d in case.deadlines()), default=FAR)
        return (soonest, case.received_at, case.case_id)

    return [c.case_id for c in sorted(every, key=key)]


def test_the_copies_say_what_each_saved_document_says(control_plane) -> None:
    with control_plane() as uow:
        stored = _store(uow)
        uow.commit()
    with control_plane() as uow:
        for case in stored:
            _copies_agree(uow, case)
        rows = uow.session.scalars(sa.select(CaseRow)).all()
        assert {r.is_open for r in rows} == {True, False}  # the withdrawn one is finished
        assert any(r.next_due_at != FAR for r in rows)


def test_paging_the_queue_with_cursors_gives_the_whole_queue_in_order(control_plane, clock) -> None:
    with control_plane() as uow:
        stored = _store(uow)
        uow.commit()
    whole = cases.list_cases(control_plane, clock, STAFF)
    assert [i.case.case_id for i in whole] == _queue_order(stored)
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = case_queue.queue_page(control_plane, clock, STAFF, limit=2, after=after)
        assert len(page.items) <= 2
        seen += [i.case.case_id for i in page.items]
        after = page.next
        if after is None:
            break
    assert seen == [i.case.case_id for i in whole]
    open_only = cases.list_cases(control_plane, clock, STAFF, open_only=True)
    assert [i.case.case_id for i in open_only] == [
        c for c in _queue_order(stored) if c != "case-04"
    ]
    # The line itself is computed from the document at the caller's now.
    line = whole[0]
    deadlines = sorted(line.case.deadlines(), key=lambda d: d.due_at)
    assert line.next_deadline == (deadlines[0] if deadlines else None)
    assert line.overdue == sum(1 for d in deadlines if d.due_at <= clock.now())


def test_paging_the_due_list_gives_the_whole_list(control_plane, clock) -> None:
    with control_plane() as uow:
        stored = _store(uow)
        uow.commit()
    window = timedelta(days=400)
    whole = case_due.due(control_plane, clock, STAFF, within=window)
    expected = sorted(
        (d for c in stored for d in c.deadlines() if d.due_at <= clock.now() + window),
        key=lambda d: (d.due_at, d.subject, d.kind),
    )
    assert [i.deadline for i in whole.overdue + whole.due_soon] == expected
    assert whole.overdue
    assert whole.next is None
    assert all(i.deadline.due_at <= clock.now() for i in whole.overdue)
    seen = []
    after = None
    for _ in range(len(expected) + 1):
        page = case_due.due(control_plane, clock, STAFF, within=window, limit=3, after=after)
        seen += page.overdue + page.due_soon
        after = page.next
        if after is None:
            break
    assert seen == whole.overdue + whole.due_soon


def test_the_queue_filters_and_counts_by_whom_each_case_waits_on(control_plane, clock) -> None:
    with control_plane() as uow:
        stored = _store(uow)
        uow.commit()
    expected: dict[str, list[str]] = {}
    for case_id in _queue_order(stored):
        case = next(c for c in stored if c.case_id == case_id)
        expected.setdefault(waiting_on(case).value, []).append(case_id)
    assert set(expected) == {"review", "nobody"}  # received/assessed, and the withdrawn one
    for party in WaitingOn:
        page = case_queue.queue_page(control_plane, clock, STAFF, waiting=[party.value])
        assert [i.case.case_id for i in page.items] == expected.get(party.value, [])
        assert all(i.waiting_on == party.value for i in page.items)
    counts = case_queue.waiting_counts(control_plane, STAFF)
    assert counts == {
        p.value: len(expected.get(p.value, [])) if p is not WaitingOn.NOBODY else 0
        for p in WaitingOn
    }  # open cases only: the withdrawn case is finished
    with pytest.raises(InvalidInput, match=r"^waiting_on: unknown party lunch"):
        case_queue.queue_page(control_plane, clock, STAFF, waiting=["lunch"])


@pytest.mark.parametrize(
    ("limit", "after", "message"),
    [
        (0, None, "limit: expected 1 to 500"),
        (501, None, "limit: expected 1 to 500"),
        (10, "a" * 2001, "cursor: at most 2000 characters, got 2001"),
    ],
)
def test_a_bad_page_request_is_one_sentence(
    control_plane, clock, limit: int, after: str | None, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        case_queue.queue_page(control_plane, clock, STAFF, limit=limit, after=after)
    with pytest.raises(InvalidInput, match=message.replace("cases", "deadlines")):
        case_due.due(
            control_plane, clock, STAFF, within=timedelta(days=1), limit=limit, after=after
        )


@pytest.mark.parametrize("after", ["not-a-cursor", "WyJ4IiwieSIsInoiXQ", "e30", "_"])
def test_a_well_formed_cursor_that_is_not_a_key_pages_from_the_start(
    control_plane, clock, after: str
) -> None:
    """ADR 0011: every cursor the published pattern allows names a position (the start)."""
    first = case_queue.queue_page(control_plane, clock, STAFF, limit=10)
    assert case_queue.queue_page(control_plane, clock, STAFF, limit=10, after=after) == first
    window = timedelta(days=1)
    first_due = case_due.due(control_plane, clock, STAFF, within=window, limit=10)
    assert case_due.due(control_plane, clock, STAFF, within=window, limit=10, after=after) == (
        first_due
    )


def test_migration_0010_fills_the_copies_of_cases_stored_before_it(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0005_console_totp_sealed")
    before = [_openings()[0][0], _openings()[1][0]]
    before[0], _ = before[0].assess([SUBSCRIBER, CONTENT], SYSTEM, T0)
    old = sa.table(
        "cases",
        *(sa.column(n) for n in ("id", "demand_id", "reference", "state", "version")),
        sa.column("document", sa.JSON()),
        sa.column("opened_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    with engine.begin() as connection:
        connection.execute(
            old.insert(),
            [
                {
                    "id": c.case_id,
                    "demand_id": None,
                    "reference": c.reference,
                    "state": c.state.value,
                    "version": 1,
                    "document": c.model_dump(mode="json"),
                    "opened_at": T0,
                    "updated_at": T0,
                }
                for c in before
            ],
        )
    upgrade(engine)
    with intake_uow_factory(engine, _Clock(T0).now)() as uow:
        for case in before:
            _copies_agree(uow, case)
    engine.dispose()


def test_migration_0011_says_whom_each_case_stored_before_it_waits_on(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with intake_uow_factory(engine, _Clock(T0).now)() as uow:
        stored = _store(uow)
        uow.commit()
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0010_case_list_columns")
    upgrade(engine)
    with intake_uow_factory(engine, _Clock(T0).now)() as uow:
        rows = uow.session.execute(sa.select(CaseRow.id, CaseRow.waiting_on)).all()
    got = {str(ident): str(party) for ident, party in rows}
    assert got == {c.case_id: waiting_on(c).value for c in stored}
    engine.dispose()


def test_the_api_lines_from_columns_equal_the_lines_from_documents(control_plane, clock) -> None:
    """On both databases, page by page: ``queue_lines`` (no document decoded) says what
    ``queue_page`` (every document decoded) says, with the same cursors."""
    with control_plane() as uow:
        _store(uow)
        uow.commit()
    after_doc = after_col = None
    for _ in range(10):
        by_doc = case_queue.queue_page(control_plane, clock, STAFF, limit=2, after=after_doc)
        by_col = case_queue.queue_lines(control_plane, clock, STAFF, limit=2, after=after_col)
        assert [i.line for i in by_doc.items] == by_col.items
        assert by_doc.next == by_col.next
        after_doc, after_col = by_doc.next, by_col.next
        if after_doc is None:
            break
    assert after_doc is None
    lines = case_queue.queue_lines(control_plane, clock, STAFF).items
    assert any(line.next_deadline is not None and line.overdue for line in lines)
